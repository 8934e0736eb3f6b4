/**
 * The console's frame: the header with its navigation and the signed-in principal, the token
 * prompt when the server wants one, and the hash router that swaps pages (each page gets its own
 * AbortSignal, so leaving it stops its polls).
 */
import { Access } from './access.js';
import { ApiError, type Api } from './api.js';
import type { Whoami } from './api-types.js';
import { fill, h, notice } from './dom.js';
import type { PageContext } from './page.js';
import { consumersPage } from './pages/consumers.js';
import { healthPage } from './pages/health.js';
import { overviewPage } from './pages/overview.js';
import { tablePage } from './pages/table.js';
import { hrefOf, parseRoute, type Route } from './routes.js';

const NAV: readonly { readonly label: string; readonly route: Route }[] = [
  { label: 'Overview', route: { page: 'overview' } },
  { label: 'Health', route: { page: 'health' } },
  { label: 'Consumers', route: { page: 'consumers' } },
];

function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export class App {
  private readonly main = h('main', { attrs: { id: 'main', tabindex: '-1' } });
  private readonly status = h('p', { class: 'status-line notice error', attrs: { role: 'status' } });
  private readonly who = h('div', { class: 'who' });
  private readonly links = NAV.map((n) => h('a', { attrs: { href: hrefOf(n.route) } }, n.label));
  private readonly content = h('div');
  private access: Access | undefined;
  private page: AbortController | undefined;

  constructor(body: HTMLElement, private readonly api: Api) {
    const nav = h('nav', { attrs: { 'aria-label': 'Pages' } }, h('ul', {}, ...this.links.map((a) => h('li', {}, a))));
    const header = h('header', { class: 'top' }, h('p', { class: 'brand' }, 'lakestream'), nav, this.who);
    fill(this.main, this.status, this.content);
    body.replaceChildren(h('a', { class: 'skip', attrs: { href: '#main' }, on: { click: (e) => { e.preventDefault(); this.main.focus(); } } }, 'Skip to content'), header, this.main);
  }

  /** `first`: the session's first /v1/whoami, already under way. */
  async start(first: Promise<Whoami>): Promise<void> {
    this.api.onUnauthenticated = () => {
      this.api.token = null;
      void this.signIn('The token is no longer valid (revoked, or the auth file changed). Sign in again.');
    };
    window.addEventListener('hashchange', () => this.show(true));
    await this.signIn(undefined, first);
  }

  private async signIn(problem?: string, asked?: Promise<Whoami>): Promise<void> {
    const hadToken = this.api.token !== null;
    let who: Whoami;
    try {
      who = await (asked ?? this.api.get<Whoami>('/v1/whoami'));
    } catch (err) {
      this.leavePage();
      fill(this.content, notice(`The server did not answer: ${describeError(err)}. Reload to try again.`, 'error'));
      return;
    }
    const access = new Access(who);
    if (access.needsToken) {
      this.api.token = null;
      this.prompt(problem ?? (hadToken ? 'That token is not valid.' : undefined));
      return;
    }
    this.access = access;
    this.showIdentity(access);
    this.show();
  }

  private showIdentity(access: Access): void {
    if (!access.who.authentication) {
      fill(this.who, h('span', {}, 'authentication off'));
      return;
    }
    const signOut = h('button', { class: 'quiet', attrs: { type: 'button' }, on: { click: () => this.signOut() } }, 'Sign out');
    fill(this.who, h('span', {}, `signed in as ${access.who.principal ?? ''}${access.who.super ? ' (super)' : ''}`), signOut);
  }

  private signOut(): void {
    this.api.token = null;
    this.access = undefined;
    fill(this.who);
    this.prompt('Signed out.');
  }

  /** The token form. The token goes to sessionStorage only: never into the URL or a cookie. */
  private prompt(message: string | undefined): void {
    this.leavePage();
    document.title = 'Sign in · lakestream console';
    const input = h('input', { attrs: { type: 'password', id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false', required: '' } });
    const form = h('form', { attrs: { 'aria-labelledby': 'sign-in' }, on: {
      submit: (e) => {
        e.preventDefault();
        if (input.value.trim() === '') return;
        this.api.token = input.value.trim();
        void this.signIn();
      },
    } },
    h('label', { attrs: { for: 'token' } }, 'Bearer token'), input, h('div', {}, h('button', { attrs: { type: 'submit' } }, 'Sign in')));
    fill(this.content, h('section', { class: 'login' }, h('h1', { attrs: { id: 'sign-in' } }, 'Sign in'),
      h('p', { class: 'muted' }, 'This server runs with --auth-file. Paste a token of the auth file; it is kept in this tab only (sessionStorage).'),
      message ? notice(message, 'denied') : null, form));
    input.focus();
  }

  private leavePage(): void {
    this.page?.abort();
    this.page = undefined;
    this.status.textContent = '';
  }

  /** `focus`: after a navigation, to the new page's heading (where a screen reader starts reading). */
  private show(focus = false): void {
    if (!this.access) return;
    this.leavePage();
    const route = parseRoute(location.hash);
    this.links.forEach((a, i) => {
      if (NAV[i]!.route.page === route.page) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    const controller = new AbortController();
    this.page = controller;
    const page = h('div');
    fill(this.content, page);
    const ctx: PageContext = {
      main: page,
      api: this.api,
      access: this.access,
      signal: controller.signal,
      report: (err) => {
        if (!controller.signal.aborted) this.status.textContent = err === undefined ? '' : `Refresh failed: ${describeError(err)}`;
      },
    };
    const shown = this.render(route, ctx);
    shown.catch((err: unknown) => ctx.report(err));
    const heading = page.querySelector('h1');
    if (focus && heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }

  private async render(route: Route, ctx: PageContext): Promise<void> {
    switch (route.page) {
      case 'overview':
        document.title = 'Overview · lakestream console';
        return overviewPage(ctx);
      case 'table':
        document.title = `${route.db}.${route.table} · lakestream console`;
        return tablePage(ctx, route.db, route.table);
      case 'health':
        document.title = 'Health · lakestream console';
        return healthPage(ctx);
      case 'consumers':
        document.title = 'Consumers · lakestream console';
        return consumersPage(ctx);
    }
  }
}
