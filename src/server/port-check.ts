/**
 * The address is checked before anything is created, so a port in use leaves no fresh data dir
 * behind. It is a probe (bind, then close): another process may still take the port during
 * recovery, and then listen fails with the same message.
 */
import net from 'node:net';
import { LakestreamError } from '../common/errors.js';

/** How a refusal names the setting to change: its port and host as set, and the flag to pick another with. */
export interface ListenSetting {
  readonly port: string;
  readonly host: string;
  readonly flag: string;
}

/** The HTTP listener's --host and --port. */
function httpSetting(host: string, port: number): ListenSetting {
  return { port: `--port ${port}`, host: `--host ${host}`, flag: '--port' };
}

/** What to tell the user when listening on host:port failed; the flag to change is named. */
export function listenFailure(err: unknown, host: string, port: number, setting = httpSetting(host, port)): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const at = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new LakestreamError('INVALID_PARAMETER', `${setting.port}: ${at} is already in use (another lakestream or another program listens there); stop it or pick another ${setting.flag}`);
    case 'EACCES':
      return new LakestreamError('INVALID_PARAMETER', `${setting.port}: not allowed to listen on ${at} (ports below 1024 need privileges); pick another ${setting.flag}`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new LakestreamError('INVALID_PARAMETER', `${setting.host}: no such local address; use an address of this machine (127.0.0.1, 0.0.0.0, ...)`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

/** Binds host:port and lets it go again; throws listenFailure's error if it cannot be bound. */
export async function checkPortFree(host: string, port: number, setting = httpSetting(host, port)): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (err) {
    throw listenFailure(err, host, port, setting);
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
