/**
 * Refreshing by polling, never by a connection that stays open: `tick` runs, and the next one is
 * scheduled `intervalMs` after it finished, so a slow server is never asked twice at once. It stops
 * for good when the page's signal aborts (navigation), and waits while the tab is hidden. `report`
 * hears of each failure, and of each success after it (undefined).
 */
export function poll(signal: AbortSignal, intervalMs: number, tick: () => Promise<void>, report: (err: unknown) => void): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    if (signal.aborted) return;
    if (document.hidden) {
      timer = setTimeout(run, intervalMs);
      return;
    }
    try {
      await tick();
      report(undefined);
    } catch (err) {
      if (!signal.aborted) report(err);
    }
    if (!signal.aborted) timer = setTimeout(run, intervalMs);
  };
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  void run();
}
