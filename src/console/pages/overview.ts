/** Overview: the throughput plots and every table with its size, positions and tiering lag. */
import type { RecentMetrics } from '../api-types.js';
import { fill, h, notice, section } from '../dom.js';
import type { PageContext } from '../page.js';
import { poll } from '../poll.js';
import { RecentPlots, THROUGHPUT_PLOTS } from '../recent-plots.js';
import { fromSummary, tablesFromCatalog } from '../table-info.js';
import { TablesView } from '../tables-view.js';

const RECENT_POLL_MS = 1000;
/** Without describe on *, each table costs a request per bucket: refresh less often. */
const CATALOG_POLL_MS = 5000;

export async function overviewPage(ctx: PageContext): Promise<void> {
  const { api, access, signal } = ctx;
  const tables = new TablesView();
  const throughput = section('Throughput, last 15 minutes');
  fill(ctx.main, h('h1', {}, 'Overview'), throughput, section('Tables', tables.element));
  if (access.mayReadMetrics) {
    const plots = new RecentPlots(THROUGHPUT_PLOTS);
    poll(signal, RECENT_POLL_MS, async () => {
      const reply = await api.get<RecentMetrics>(`/v1/metrics/recent?since=${plots.since}`, signal);
      tables.update(reply.tables.map(fromSummary));
      plots.take(reply);
    }, ctx.report);
    throughput.append(plots.mount(signal));
    return;
  }
  throughput.append(notice(`${access.refusal('describe', '*')} The plots read /v1/metrics/recent, which needs the grant of /metrics.`, 'denied'));
  poll(signal, CATALOG_POLL_MS, async () => tables.update(await tablesFromCatalog(api, access, signal)), ctx.report);
}
