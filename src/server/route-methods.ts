/**
 * Which methods the routes serve for a request path, so a request the router did not match can be
 * told apart: a path some route serves under another method is a 405 with `Allow`, any other a 404.
 * Patterns are fastify's: `/v1/databases/:db` (a parameter is one non-empty segment).
 */
export class RouteMethods {
  private readonly routes: { readonly segments: readonly string[]; readonly method: string }[] = [];

  add(method: string, pattern: string): void {
    this.routes.push({ segments: pattern.split('/'), method: method.toUpperCase() });
  }

  /** The methods some route serves for `path` (its query string ignored), sorted; empty for none. */
  allowed(path: string): string[] {
    const q = path.indexOf('?');
    const segments = (q >= 0 ? path.slice(0, q) : path).split('/');
    const methods = new Set<string>();
    for (const r of this.routes) if (matches(r.segments, segments)) methods.add(r.method);
    return [...methods].sort();
  }
}

function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  if (pattern.length !== segments.length) return false;
  return pattern.every((p, i) => (p.startsWith(':') ? segments[i] !== '' : p === segments[i]));
}
