/**
 * What the signed-in principal may do, from `GET /v1/whoami` and the server's own grant rules
 * (src/common/grants.ts), so that pages leave out the requests the server would refuse.
 */
import { allows, type Operation, type Principal } from '../common/grants.js';
import type { Whoami } from './api-types.js';

export class Access {
  private readonly principal: Principal | undefined;

  constructor(readonly who: Whoami) {
    this.principal = who.authentication && who.principal !== null ? { name: who.principal, super: who.super, grants: who.grants } : undefined;
  }

  /** Whether the server needs a token and none (or an unknown one) was given. */
  get needsToken(): boolean {
    return this.who.authentication && this.who.principal === null;
  }

  /** Without authentication everyone may do everything. */
  may(operation: Operation, resource: string): boolean {
    if (!this.who.authentication) return true;
    return this.principal !== undefined && allows(this.principal, operation, resource);
  }

  mayTable(operation: Operation, db: string, table: string): boolean {
    return this.may(operation, `${db}.${table}`);
  }

  /** `/metrics` and `/v1/metrics/recent` need `describe` on `*`. */
  get mayReadMetrics(): boolean {
    return this.may('describe', '*');
  }

  /** Says why a section is left out. */
  refusal(operation: Operation, resource: string): string {
    return `Not permitted: principal '${this.who.principal ?? ''}' may not ${operation} ${resource}.`;
  }
}
