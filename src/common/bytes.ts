/** Copies `source` into `target` at `at`; short copies in a loop, as `set` costs more than a key's or a small row's few bytes. */
export function copyInto(target: Uint8Array, at: number, source: Uint8Array): void {
  const n = source.length;
  if (n > 16) {
    target.set(source, at);
    return;
  }
  for (let i = 0; i < n; i++) target[at + i] = source[i]!;
}
