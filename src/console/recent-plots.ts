/** The plots of the server's 1 s ring (`GET /v1/metrics/recent`), fed by one poll. */
import { RECENT_SERIES, type RecentMetrics, type RecentSeries } from './api-types.js';
import { h } from './dom.js';
import { formatBytes, formatBytesRate, formatMs, formatRate, formatSi } from './format.js';
import { Plot, type PlotSpec } from './plot.js';
import { SeriesWindow } from './series.js';
import { PALETTE } from './style.js';

/** 15 minutes of 1 s samples, as the server keeps them. */
const RECENT_SAMPLES_MAX = 900;

export interface RecentPlot {
  readonly spec: PlotSpec;
  readonly series: readonly RecentSeries[];
}

export const THROUGHPUT_PLOTS: readonly RecentPlot[] = [
  { spec: { title: 'Appended rows/s', series: [{ label: 'rows', color: PALETTE.blue }], format: formatRate, axis: formatSi }, series: ['appendedRows'] },
  { spec: { title: 'Primary-key writes/s', series: [{ label: 'upserts', color: PALETTE.green }, { label: 'deletes', color: PALETTE.red }], format: formatRate, axis: formatSi }, series: ['upsertedRows', 'deletedRows'] },
  { spec: { title: 'Lookups (keys)/s', series: [{ label: 'keys', color: PALETTE.purple }], format: formatRate, axis: formatSi }, series: ['lookupKeys'] },
  { spec: { title: 'Fetched bytes/s', series: [{ label: 'bytes', color: PALETTE.orange }], format: formatBytesRate, axis: formatBytes }, series: ['fetchedBytes'] },
  { spec: { title: 'Log fsync latency', series: [{ label: 'mean', color: PALETTE.blue }, { label: 'max', color: PALETTE.red }], format: formatMs, axis: formatMs }, series: ['fsyncMs', 'fsyncMsMax'] },
];

export const ERROR_PLOTS: readonly RecentPlot[] = [
  { spec: { title: 'Refused or failed requests/s', series: [{ label: 'errors', color: PALETTE.red }], format: formatRate, axis: formatSi }, series: ['errors'] },
];

/**
 * A grid of plots over one window of the ring; `take` adds a reply's new samples and redraws.
 * `mount` makes the charts: a page asks for its first samples before, so the two overlap.
 */
export class RecentPlots {
  readonly element = h('div', { class: 'plots' });
  private readonly window = new SeriesWindow(RECENT_SERIES, RECENT_SAMPLES_MAX);
  private plots: Plot[] = [];

  constructor(private readonly specs: readonly RecentPlot[]) {}

  mount(signal: AbortSignal): HTMLElement {
    this.plots = this.specs.map((p) => new Plot(p.spec, this.window.data(...p.series), signal));
    this.element.replaceChildren(...this.plots.map((p) => p.box));
    return this.element;
  }

  /** The `since` of the next request: only newer samples are asked for. */
  get since(): number {
    return this.window.lastTimeMs ?? -1;
  }

  take(reply: RecentMetrics): void {
    if (this.window.append(reply.samples.time, reply.samples) === 0) return;
    this.plots.forEach((p, i) => p.update(this.window.data(...this.specs[i]!.series)));
  }
}
