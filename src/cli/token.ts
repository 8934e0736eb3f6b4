import fs from 'node:fs';
import { LakestreamError } from '../common/errors.js';

/**
 * The bearer token from `--token-file` (or LAKESTREAM_TOKEN_FILE): its first line, trimmed. A file
 * keeps the token out of `ps` and shell history, which `--token` on the command line does not.
 */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new LakestreamError('INVALID_PARAMETER', `--token-file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const token = text.split(/\r?\n/, 1)[0]!.trim();
  if (token === '') throw new LakestreamError('INVALID_PARAMETER', `--token-file ${file}: the first line is empty; put the token there`);
  return token;
}

/** The token to send: `--token` (or LAKESTREAM_TOKEN) or the file's, never both. */
export function resolveToken(token: string | undefined, tokenFile: string | undefined): string | undefined {
  if (token !== undefined && tokenFile !== undefined) {
    throw new LakestreamError('INVALID_PARAMETER', 'give --token (LAKESTREAM_TOKEN) or --token-file (LAKESTREAM_TOKEN_FILE), not both');
  }
  return tokenFile !== undefined ? readTokenFile(tokenFile) : token;
}
