/**
 * Codecs for the batch body. We compress the whole Arrow IPC stream ourselves instead of using
 * Arrow's per-buffer compression: apache-arrow 21.2.0's IPC writer records wrong buffer lengths when it
 * compresses, and decompressing here means what we serve is always plain Arrow IPC any reader accepts.
 */
import lz4 from 'lz4-napi';
import * as zstd from 'zstd-napi';
import { LakestreamError } from '../common/errors.js';

export type CompressionName = 'none' | 'lz4' | 'zstd';

/** The codec ids stored in attribute bits 0-1 of a batch header. */
export const COMPRESSION_IDS: Readonly<Record<CompressionName, number>> = { none: 0, lz4: 1, zstd: 2 };
const NAMES_BY_ID: readonly CompressionName[] = ['none', 'lz4', 'zstd'];

/** zstd level 1-3 keeps compression well under the cost of the fsync it precedes. */
export const ZSTD_LEVEL = 1;

/** lz4-napi's block format starts with the uncompressed size as a little-endian uint32. */
const LZ4_SIZE_PREFIX_BYTES = 4;

export function compressionName(id: number): CompressionName | undefined {
  return NAMES_BY_ID[id];
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function compress(codec: CompressionName, bytes: Uint8Array): Uint8Array {
  switch (codec) {
    case 'none':
      return bytes;
    case 'lz4':
      return lz4.compressSync(asBuffer(bytes));
    case 'zstd':
      return zstd.compress(bytes, { compressionLevel: ZSTD_LEVEL });
  }
}

/**
 * Decompresses `bytes`; refuses output larger than `outputBytesMax` so a damaged size field cannot
 * make us allocate without bound. Any codec failure becomes STORAGE_ERROR (the bytes came from disk).
 */
export function decompress(codec: CompressionName, bytes: Uint8Array, outputBytesMax: number): Uint8Array {
  if (codec === 'none') return bytes;
  let out: Uint8Array;
  try {
    if (codec === 'lz4') {
      if (bytes.length < LZ4_SIZE_PREFIX_BYTES) throw new Error('lz4 body shorter than its size prefix');
      const declared = new DataView(bytes.buffer, bytes.byteOffset, LZ4_SIZE_PREFIX_BYTES).getUint32(0, true);
      if (declared > outputBytesMax) throw new Error(`lz4 body declares ${declared} bytes`);
      out = lz4.uncompressSync(bytes);
    } else {
      out = zstd.decompress(bytes);
    }
  } catch (err) {
    throw new LakestreamError('STORAGE_ERROR', `cannot decompress ${codec} batch body: ${(err as Error).message}`);
  }
  if (out.length > outputBytesMax) {
    throw new LakestreamError('STORAGE_ERROR', `${codec} batch body decompresses to ${out.length} bytes, more than ${outputBytesMax}`);
  }
  return out;
}
