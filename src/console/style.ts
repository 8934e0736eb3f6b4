/**
 * The console's stylesheet, applied as a constructed stylesheet: the Content-Security-Policy allows
 * no inline styles, and the app ships as modules only (uPlot's own stylesheet is linked by the page).
 */
export const PALETTE = { blue: '#1f5fd1', orange: '#c2570c', green: '#047857', purple: '#6d3fd4', red: '#c81e1e' } as const;

const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --bg: #f6f7f9; --card: #fff; --accent: ${PALETTE.blue}; --bad: ${PALETTE.red}; --good: ${PALETTE.green}; }
* { box-sizing: border-box; }
html { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; min-width: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -10000px; top: 0; background: var(--card); padding: .5rem 1rem; }
.skip:focus { left: .5rem; z-index: 10; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem; padding: .6rem 1rem; background: #16202c; color: #fff; }
header.top .brand { font-weight: 700; font-size: 1.05rem; margin: 0; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem .9rem; list-style: none; margin: 0; padding: 0; }
header.top a { color: #dbe7ff; text-decoration: none; padding: .15rem .1rem; }
header.top a[aria-current="page"] { color: #fff; border-bottom: 2px solid #fff; }
header.top .who { margin-left: auto; display: flex; gap: .6rem; align-items: center; color: #c9d3df; font-size: .9rem; }
header.top button { font: inherit; font-size: .85rem; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
main:focus, h1[tabindex="-1"]:focus { outline: none; }
h1 { font-size: 1.35rem; margin: .2rem 0 .6rem; overflow-wrap: anywhere; }
h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: 0 0 1rem; min-width: 0; }
.facts { display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; margin: 0 0 1rem; padding: 0; list-style: none; color: var(--muted); }
.facts b { color: var(--fg); font-weight: 600; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; white-space: nowrap; }
td.wrap { white-space: normal; overflow-wrap: anywhere; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
.num { text-align: right; }
tr.fresh td { animation: fresh 2s ease-out; }
@keyframes fresh { from { background: #fff3c4; } to { background: transparent; } }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 320px), 1fr)); gap: .8rem; }
figure.plot { margin: 0; min-width: 0; }
figure.plot figcaption { font-size: .9rem; margin-bottom: .2rem; }
.plot-title { font-weight: 600; }
.readout { color: var(--muted); font-variant-numeric: tabular-nums; }
.plot-canvas { width: 100%; overflow: hidden; }
.notice { margin: .3rem 0; padding: .45rem .7rem; border-radius: 4px; background: #eef2f7; }
.notice.denied { background: #fff4e5; border-left: 4px solid ${PALETTE.orange}; }
.notice.error { background: #fdecec; border-left: 4px solid var(--bad); }
.status-line:empty { display: none; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-weight: 600; font-size: .85rem; }
.badge.ok { background: #dcf5e8; color: var(--good); }
.badge.bad { background: #fdecec; color: var(--bad); }
.controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin: 0 0 .6rem; }
.controls label, form.lookup label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .15rem; }
fieldset { border: 1px solid var(--line); border-radius: 4px; padding: .3rem .6rem; margin: 0; min-width: 0; }
fieldset label, .controls fieldset label, .controls label.check { display: inline-flex; flex-direction: row; align-items: center; gap: .3rem; margin-right: .6rem; color: var(--fg); font-size: .9rem; }
.swatch { display: inline-block; width: .8em; height: .25em; margin: 0 .25em .2em 0; vertical-align: middle; border-radius: 1px; }
input, select, button { font: inherit; }
input[type="search"], input[type="text"], input[type="password"] { padding: .3rem .45rem; border: 1px solid #9aa4b1; border-radius: 4px; min-width: 0; max-width: 100%; }
button { padding: .3rem .8rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
button.quiet { background: transparent; color: inherit; border-color: currentColor; }
form.lookup { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
.field-problem { color: var(--bad); font-size: .8rem; }
pre.json { background: #0f1720; color: #e6edf3; padding: .6rem .8rem; border-radius: 4px; overflow-x: auto; font-size: .82rem; margin: 0; }
.login { max-width: 28rem; }
.login form { display: flex; flex-direction: column; gap: .6rem; }
.muted { color: var(--muted); }
@media (max-width: 600px) {
  main { padding: .6rem; }
  section { padding: .6rem; }
  header.top .who { margin-left: 0; }
}
`;

export function applyStyles(doc: Document): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
}
