/**
 * The HTTP grants, applied per topic: `write` to produce, `read` to fetch, join a group and commit
 * offsets, `create` for CreateTopics, `drop` for DeleteTopics, `describe` for metadata. Without
 * --auth-file everything is allowed; with it, a connection that has not authenticated (SASL/PLAIN)
 * is allowed nothing, and the refusal is logged once per connection with what to do.
 */
import { allows, seesTable, type Operation } from '../../common/grants.js';
import type { KafkaConnection } from './listener.js';

export interface AccessLog {
  warn(obj: object, msg: string): void;
}

export class Access {
  constructor(readonly required: boolean, private readonly log: AccessLog) {}

  /** Whether the connection may do `operation` on table db.table. */
  allows(conn: KafkaConnection, operation: Operation, db: string, table: string): boolean {
    if (!this.required) return true;
    const principal = conn.principal;
    if (principal) {
      if (allows(principal, operation, `${db}.${table}`)) return true;
      this.log.warn({ remote: conn.remote, principal: principal.name, operation, table: `${db}.${table}` }, 'kafka: refused: the principal has no grant for this');
      return false;
    }
    if (!conn.state.has('refusal-logged')) {
      conn.state.set('refusal-logged', true);
      this.log.warn({ remote: conn.remote, operation, table: `${db}.${table}` }, 'kafka: refused an unauthenticated client: this server has --auth-file; connect with SASL/PLAIN (username = the principal, password = its token)');
    }
    return false;
  }

  /** Whether the connection may see the table at all (metadata of every topic lists only those). */
  sees(conn: KafkaConnection, db: string, table: string): boolean {
    if (!this.required) return true;
    return conn.principal !== null && seesTable(conn.principal, db, table);
  }
}
