// Host ports for tests and the bench: a free one, and whether one can be bound.
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1: the kernel's pick, bound then released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** 'ok' when `host:port` can be listened on, else the bind's error code (EADDRINUSE, …). */
export function listenOn(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const s = createServer();
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.listen(port, host, () => s.close(() => resolve('ok')));
  });
}
