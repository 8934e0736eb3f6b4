import fs from 'node:fs';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { LakestreamError } from '../common/errors.js';

/** One line of a JSON-lines input: the object it holds, or why it holds none. */
export type JsonLine =
  | { readonly line: number; readonly text: string; readonly value: Record<string, unknown> }
  | { readonly line: number; readonly text: string; readonly problem: string };

export interface JsonLineSource {
  /** The input as messages name it: the file, or `stdin`. */
  readonly name: string;
  readonly lines: AsyncIterable<JsonLine>;
  /** Bytes read so far and the file's size (undefined for stdin). */
  progress(): { readonly bytes: number; readonly totalBytes: number | undefined };
}

/**
 * JSON objects, one a line, from a file or stdin (`-` or absent). Blank lines are skipped, and so
 * are the lines before `fromLine` (1-based; they are not parsed). A line that is not a JSON object
 * is yielded with its problem, so the caller decides whether to stop or skip it.
 */
export function readJsonLines(file: string | undefined, fromLine = 1): JsonLineSource {
  const fromStdin = file === undefined || file === '-';
  let totalBytes: number | undefined;
  let input: Readable;
  if (fromStdin) {
    input = process.stdin;
  } else {
    try {
      totalBytes = fs.statSync(file).size;
    } catch (e) {
      throw new LakestreamError('INVALID_PARAMETER', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    input = fs.createReadStream(file);
  }
  let bytes = 0;
  input.on('data', (chunk: Buffer | string) => { bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length; });
  async function* lines(): AsyncGenerator<JsonLine> {
    const rl = readline.createInterface({ input, crlfDelay: Infinity });
    let line = 0;
    for await (const text of rl) {
      line++;
      if (line < fromLine || text.trim() === '') continue;
      yield parseLine(line, text);
    }
  }
  return { name: fromStdin ? 'stdin' : file, lines: lines(), progress: () => ({ bytes, totalBytes }) };
}

function parseLine(line: number, text: string): JsonLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { line, text, problem: `not JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line, text, problem: 'expected a JSON object, one row per line' };
  return { line, text, value: value as Record<string, unknown> };
}
