/**
 * Test helper: damage to a request frame of the kinds a broken or hostile client sends: bytes
 * flipped, an int16/int32 length or count overwritten with an extreme, the frame cut, junk spliced
 * in, bytes dropped, runs of varint continuation bytes. Used by the decoder's fuzz test and by the
 * fuzzer of the real listener (test/reliability/fuzz-kafka.test.ts).
 */
import { int, pick, type Rng } from '../../common/random-values.js';

export const EXTREMES = [0x00, 0x7f, 0x80, 0xff];

export function mutateFrame(rng: Rng, original: Uint8Array): Uint8Array {
  const kind = int(rng, 0, 5);
  if (kind === 0) {
    const bytes = Uint8Array.from(original);
    for (let i = int(rng, 1, 4); i > 0; i--) bytes[int(rng, 0, bytes.length - 1)]! ^= int(rng, 1, 255);
    return bytes;
  }
  if (kind === 1) {
    // An int16/int32 length or count overwritten with an extreme (-1, max, min, 0, huge).
    const bytes = Uint8Array.from(original);
    const at = int(rng, 0, Math.max(0, bytes.length - 4));
    const width = pick(rng, [2, 4]);
    for (let i = 0; i < width && at + i < bytes.length; i++) bytes[at + i] = i === 0 ? pick(rng, EXTREMES) : pick(rng, [0x00, 0xff]);
    return bytes;
  }
  if (kind === 2) return original.slice(0, int(rng, 0, original.length));
  if (kind === 3) {
    const at = int(rng, 0, original.length);
    const junk = Uint8Array.from({ length: int(rng, 1, 16) }, () => pick(rng, [...EXTREMES, int(rng, 0, 255)]));
    return Uint8Array.from([...original.subarray(0, at), ...junk, ...original.subarray(at)]);
  }
  if (kind === 4) {
    const at = int(rng, 0, original.length - 1);
    return Uint8Array.from([...original.subarray(0, at), ...original.subarray(at + int(rng, 1, 8))]);
  }
  // Unsigned-varint territory: runs of continuation bytes.
  const bytes = Uint8Array.from(original);
  const at = int(rng, 0, bytes.length - 1);
  for (let i = at; i < Math.min(bytes.length, at + int(rng, 1, 6)); i++) bytes[i] = 0x80 | int(rng, 0, 127);
  return bytes;
}
