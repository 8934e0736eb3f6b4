/** The console's pages and their addresses (the part of the URL after #). Pure. */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'table'; readonly db: string; readonly table: string }
  | { readonly page: 'health' }
  | { readonly page: 'consumers' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  try {
    if (parts[0] === 'tables' && parts.length === 3) return { page: 'table', db: decodeURIComponent(parts[1]!), table: decodeURIComponent(parts[2]!) };
  } catch {
    // a malformed escape: the overview
  }
  if (parts[0] === 'health' && parts.length === 1) return { page: 'health' };
  if (parts[0] === 'consumers' && parts.length === 1) return { page: 'consumers' };
  return { page: 'overview' };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'overview':
      return '#/';
    case 'table':
      return `#/tables/${encodeURIComponent(route.db)}/${encodeURIComponent(route.table)}`;
    case 'health':
      return '#/health';
    case 'consumers':
      return '#/consumers';
  }
}
