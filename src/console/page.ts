import type { Access } from './access.js';
import type { Api } from './api.js';

/** What a page gets: where to draw, the API, what the principal may do, and its lifetime. */
export interface PageContext {
  readonly main: HTMLElement;
  readonly api: Api;
  readonly access: Access;
  /** Aborted when the user leaves the page: its polls stop and its plots are destroyed. */
  readonly signal: AbortSignal;
  /** Shows a failed refresh in the status line (the polls go on); undefined clears it. */
  readonly report: (err: unknown) => void;
}
