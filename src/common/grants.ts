/**
 * Grants: what a principal of the auth file may do (see src/server/auth.ts for the file and the
 * route map). Pure, so that every party that reasons about grants applies the same rules: the
 * server's HTTP routes, the Kafka listener, and the web console, which skips requests the server
 * would refuse.
 *
 * A resource is `*` (everything), `db.*` (a database and every table in it) or `db.table`. Names hold
 * no dots (see ENTITY_NAME in common/schema.ts), so the split is unambiguous.
 */
export const OPERATIONS = ['read', 'write', 'create', 'drop', 'describe'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Grant {
  /** `*`, `db.*` or `db.table`. */
  readonly resource: string;
  readonly operations: readonly Operation[];
}

export interface Principal {
  readonly name: string;
  readonly super: boolean;
  readonly grants: readonly Grant[];
}

const NAME_PART = '[A-Za-z0-9_][A-Za-z0-9_-]{0,127}';
const RESOURCE_PATTERN = new RegExp(`^(\\*|${NAME_PART}\\.\\*|${NAME_PART}\\.${NAME_PART})$`);

export function isResourcePattern(s: string): boolean {
  return RESOURCE_PATTERN.test(s);
}

/**
 * Whether a grant's resource pattern covers a requested resource. `*` covers everything; `db.*`
 * covers the database itself (`db.*`) and every `db.<table>`; `db.table` covers only itself.
 */
export function resourceCovers(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) {
    const db = pattern.slice(0, -1); // keeps the dot: 'shop.'
    return resource.startsWith(db) && resource.length > db.length;
  }
  return pattern === resource;
}

/**
 * The operations a granted one implies on the same resource. As in Kafka's ACLs, `read` and `write`
 * imply `describe`: a client describes a table before it reads or writes it.
 */
const IMPLIED: Readonly<Partial<Record<Operation, readonly Operation[]>>> = { read: ['describe'], write: ['describe'] };

function grantIncludes(grant: Grant, operation: Operation): boolean {
  return grant.operations.some((op) => op === operation || IMPLIED[op]?.includes(operation) === true);
}

export function allows(principal: Principal, operation: Operation, resource: string): boolean {
  if (principal.super) return true;
  for (const g of principal.grants) {
    if (grantIncludes(g, operation) && resourceCovers(g.resource, resource)) return true;
  }
  return false;
}

function databaseOf(pattern: string): string | undefined {
  return pattern === '*' ? undefined : pattern.slice(0, pattern.indexOf('.'));
}

/** Whether the principal has any grant (any operation) on the database or one of its tables. */
export function seesDatabase(principal: Principal, db: string): boolean {
  return principal.super || principal.grants.some((g) => g.resource === '*' || databaseOf(g.resource) === db);
}

/** Whether the principal has any grant (any operation) covering the table. */
export function seesTable(principal: Principal, db: string, table: string): boolean {
  const resource = `${db}.${table}`;
  return principal.super || principal.grants.some((g) => resourceCovers(g.resource, resource));
}
