/**
 * Named crash points for the crash tests, as storage systems keep them (TiKV's fail-rs, Fluss's
 * test hooks): `LAKESTREAM_FAILPOINTS=tiering.before-commit` makes the process SIGKILL itself when it
 * reaches that point, so a test can prove recovery from exactly there. Unset in production: a no-op.
 */
const ACTIVE = new Set((process.env.LAKESTREAM_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export function failpoint(name: string): void {
  if (ACTIVE.size > 0 && ACTIVE.has(name)) process.kill(process.pid, 'SIGKILL');
}
