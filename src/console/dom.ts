/**
 * Building and updating the page. Text always goes in as text (textContent), never as markup, so
 * names and row values from the server cannot inject anything; no inline styles either (the
 * Content-Security-Policy forbids them).
 */
export type Child = Node | string | number | bigint | null | undefined | false;

export interface Props {
  readonly class?: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly on?: { readonly [K in keyof HTMLElementEventMap]?: (e: HTMLElementEventMap[K]) => void };
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  for (const [type, fn] of Object.entries(props.on ?? {})) el.addEventListener(type, fn as EventListener);
  append(el, ...children);
  return el;
}

/** Replaces an element's content. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** Writes text only when it changed, so a 1 s refresh does not disturb selection or screen readers. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function link(href: string, text: string): HTMLAnchorElement {
  return h('a', { attrs: { href } }, text);
}

/** A table in a horizontally scrolling box (narrow windows), with a caption for screen readers. */
export function dataTable(caption: string, headers: readonly string[], numeric: readonly boolean[] = []): { box: HTMLDivElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const head = h('tr', {}, ...headers.map((t, i) => h('th', { attrs: { scope: 'col' }, ...(numeric[i] ? { class: 'num' } : {}) }, t)));
  const table = h('table', {}, h('caption', { class: 'visually-hidden' }, caption), h('thead', {}, head), body);
  return { box: h('div', { class: 'scroll', attrs: { tabindex: '0', role: 'region', 'aria-label': caption } }, table), body };
}

/** A row of cells; `numeric` right-aligns. */
export function row(cells: readonly Child[], numeric: readonly boolean[] = []): HTMLTableRowElement {
  return h('tr', {}, ...cells.map((c, i) => h('td', numeric[i] ? { class: 'num' } : {}, c)));
}

const rowKeys = new WeakMap<HTMLTableSectionElement, Map<string, HTMLTableRowElement>>();

/**
 * Keeps a table body in step with `items`: a row per key, built once, updated in place and moved
 * only when the order changes, so focus and selection survive the refreshes.
 */
export function syncRows<T>(body: HTMLTableSectionElement, items: readonly T[], keyOf: (item: T) => string, build: (item: T) => HTMLTableRowElement, update: (row: HTMLTableRowElement, item: T) => void): void {
  const old = rowKeys.get(body) ?? new Map<string, HTMLTableRowElement>();
  const next = new Map<string, HTMLTableRowElement>();
  for (const item of items) {
    const key = keyOf(item);
    const r = old.get(key) ?? build(item);
    update(r, item);
    next.set(key, r);
  }
  for (const [key, r] of old) if (!next.has(key)) r.remove();
  const wanted = [...next.values()];
  const inOrder = wanted.length === body.rows.length && wanted.every((r, i) => body.rows[i] === r);
  if (!inOrder) body.replaceChildren(...wanted);
  rowKeys.set(body, next);
}

/** Cell i of a row, for `syncRows` updates. */
export function cell(r: HTMLTableRowElement, i: number): HTMLTableCellElement {
  return r.cells[i]!;
}

export function section(title: string, ...children: Child[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { attrs: { 'aria-labelledby': id } }, h('h2', { attrs: { id } }, title), ...children);
}

/** A notice in place of a section's content (not permitted, not enabled, failed). */
export function notice(text: string, kind: 'info' | 'denied' | 'error' = 'info'): HTMLParagraphElement {
  return h('p', { class: `notice ${kind}`, attrs: kind === 'error' ? { role: 'alert' } : {} }, text);
}
