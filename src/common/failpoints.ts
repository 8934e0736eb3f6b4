/**
 * Named fault points for the crash and fault tests, as storage systems keep them (TiKV's fail-rs,
 * Fluss's test hooks). `LAKESTREAM_FAILPOINTS` is a comma-separated list of points, each in one of
 * two forms:
 *
 *   tiering.before-commit        the process SIGKILLs itself when it reaches the point, so a test
 *                                can prove recovery from exactly there
 *   index.write=throw@3          the third time the point is reached it throws (once), so a test
 *                                can prove the server survives that fault
 *
 * Unset in production: a no-op. Worker threads read the same variable and keep their own counts.
 */
type Action = { readonly kind: 'kill' } | { readonly kind: 'throw'; readonly atHit: number };

function parse(spec: string): Map<string, Action> {
  const points = new Map<string, Action>();
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, action] = item.split('=', 2).map((s) => s.trim());
    const thrown = action === undefined ? undefined : /^throw(?:@(\d+))?$/.exec(action);
    if (action !== undefined && !thrown) throw new Error(`LAKESTREAM_FAILPOINTS: '${item}' is neither <name> nor <name>=throw@<n>`);
    points.set(name!, thrown ? { kind: 'throw', atHit: Number(thrown[1] ?? 1) } : { kind: 'kill' });
  }
  return points;
}

const ACTIVE = parse(process.env.LAKESTREAM_FAILPOINTS ?? '');
const hits = new Map<string, number>();

export function failpoint(name: string): void {
  if (ACTIVE.size === 0) return;
  const action = ACTIVE.get(name);
  if (!action) return;
  if (action.kind === 'kill') process.kill(process.pid, 'SIGKILL');
  const hit = (hits.get(name) ?? 0) + 1;
  hits.set(name, hit);
  if (action.kind === 'throw' && hit === action.atHit) throw new Error(`failpoint ${name} (hit ${hit})`);
}
