import { Buffer } from 'node:buffer';

/** Copies `source` into `target` at `at`; short copies in a loop, as `set` costs more than a key's or a small row's few bytes. */
export function copyInto(target: Uint8Array, at: number, source: Uint8Array): void {
  const n = source.length;
  if (n > 16) {
    target.set(source, at);
    return;
  }
  for (let i = 0; i < n; i++) target[at + i] = source[i]!;
}

/**
 * Buffer's own UTF-8 writer, called straight, without the argument checks of `Buffer.write` (the
 * callers' offsets are theirs and the room reserved): for a short string those checks, or a `call`
 * of the method, cost more than the encoding. Every Node Buffer has had it since the first versions;
 * `write`, which calls it, is the documented fallback.
 */
interface Utf8WritingBuffer extends Buffer {
  utf8Write(s: string, offset: number, length: number): number;
}
const HAS_UTF8_WRITE = typeof (Buffer.prototype as Partial<Utf8WritingBuffer>).utf8Write === 'function';

/**
 * Writes `s` as UTF-8 at `offset` of `buffer`, at most `length` bytes (whole characters; a lone
 * surrogate becomes U+FFFD, as with TextEncoder), and returns the bytes written.
 */
export function writeUtf8(buffer: Buffer, s: string, offset: number, length: number): number {
  return HAS_UTF8_WRITE ? (buffer as Utf8WritingBuffer).utf8Write(s, offset, length) : buffer.write(s, offset, length, 'utf8');
}
