/**
 * One live time-series plot: a uPlot chart made once per page and handed new data each second
 * (the same column arrays, trimmed in place by SeriesWindow), sized to its box, gone with the page.
 * Above it, the newest value and the peak in text, for keyboard and screen-reader users and for
 * anyone who wants the number.
 */
import { h, setText } from './dom.js';
import { latestAndPeak } from './series.js';
import type uPlot from './vendor/uPlot.esm.js';

export interface PlotSeries {
  readonly label: string;
  /** A colour of style.ts's palette. */
  readonly color: string;
}

export interface PlotSpec {
  readonly title: string;
  readonly series: readonly PlotSeries[];
  /** The readout's values (with the unit: 1.2k/s). */
  readonly format: (v: number) => string;
  /** The y axis' labels, shorter (the title has the unit: 1.2k). */
  readonly axis: (v: number) => string;
}

type Data = [number[], ...(number | null)[][]];

const PLOT_HEIGHT_PX = 150;
const PLOT_WIDTH_MIN_PX = 220;
const X_SPAN_MIN_S = 60;

let loading: Promise<typeof uPlot> | undefined;

/** uPlot, imported once on first use: pages show their tables before the charts' code has loaded. */
function loadUPlot(): Promise<typeof uPlot> {
  loading ??= import('./vendor/uPlot.esm.js').then((m) => m.default);
  return loading;
}

export class Plot {
  readonly box: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly values: HTMLElement[];
  private readonly canvasBox: HTMLElement;
  private chart: uPlot | undefined;

  constructor(private readonly spec: PlotSpec, private data: Data, signal: AbortSignal) {
    // One readout per series, behind a swatch of its colour (set through the CSSOM: the policy forbids style attributes).
    this.values = spec.series.map(() => h('span'));
    this.readout = h('span', { class: 'readout' }, ...spec.series.flatMap((s, i) => {
      const swatch = h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } });
      swatch.style.background = s.color;
      return [i > 0 ? ' · ' : '', swatch, this.values[i]!];
    }));
    this.canvasBox = h('div', { class: 'plot-canvas', attrs: { role: 'img', 'aria-label': `${spec.title}, last 15 minutes` } });
    this.box = h('figure', { class: 'plot' }, h('figcaption', {}, h('span', { class: 'plot-title' }, spec.title), ' ', this.readout), this.canvasBox);
    this.describe();
    loadUPlot().then((U) => {
      if (!signal.aborted) this.draw(U, signal);
    }, (err: unknown) => {
      this.canvasBox.textContent = `The chart library did not load: ${String(err)}`;
    });
  }

  private draw(U: typeof uPlot, signal: AbortSignal): void {
    const format = this.spec.format;
    const chart = new U({
      width: Math.max(PLOT_WIDTH_MIN_PX, Math.floor(this.canvasBox.clientWidth)),
      height: PLOT_HEIGHT_PX,
      // At least a minute wide, so that a first sample or two sit on a readable axis.
      scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - X_SPAN_MIN_S), max] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      series: [{}, ...this.spec.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)) }))],
      axes: [{ stroke: '#5b6470', grid: { stroke: '#e3e6ea' }, ticks: { stroke: '#e3e6ea' } }, { stroke: '#5b6470', size: 72, grid: { stroke: '#e3e6ea' }, ticks: { stroke: '#e3e6ea' }, values: (_u, ticks) => ticks.map(this.spec.axis) }],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
    }, this.data, this.canvasBox);
    this.chart = chart;
    const resize = new ResizeObserver(() => {
      const width = Math.max(PLOT_WIDTH_MIN_PX, Math.floor(this.canvasBox.clientWidth));
      if (width !== chart.width) chart.setSize({ width, height: PLOT_HEIGHT_PX });
    });
    resize.observe(this.canvasBox);
    signal.addEventListener('abort', () => {
      resize.disconnect();
      chart.destroy();
    }, { once: true });
  }

  /** New data: the same arrays grown and trimmed, or new ones. */
  update(data: Data): void {
    this.data = data;
    this.chart?.setData(data);
    this.describe();
  }

  private describe(): void {
    this.spec.series.forEach((s, i) => {
      const { latest, peak } = latestAndPeak(this.data[i + 1] ?? []);
      const name = this.spec.series.length > 1 ? `${s.label} ` : '';
      setText(this.values[i]!, `${name}now ${latest === null ? '—' : this.spec.format(latest)}, peak ${peak === null ? '—' : this.spec.format(peak)}`);
    });
  }
}
