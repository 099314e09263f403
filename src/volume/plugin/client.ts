// The plugin protocol's transport, as dockerd's pkg/plugins client: each call
// is a POST of JSON to /<Method> with Docker's plugin media type; a plugin
// that cannot be reached is retried with a doubling back-off (1 s, 2 s, …)
// until the call's time is up (30 s, TSDOCKER_PLUGIN_TIMEOUT_MS for tests),
// then the last connection error is the answer. A non-200 answer is
// `<Method>: <Err>`, with the plugin's own message.
import http from 'node:http';
import { TsdError } from '../../errors';
import type { PluginAddr } from './discovery';

export const PLUGIN_MEDIA_TYPE = 'application/vnd.docker.plugins.v1.2+json';
/** Plugin answers are small: anything longer is refused. */
const MAX_ANSWER = 4 << 20;

export class PluginCallError extends TsdError {}

export function pluginTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env['TSDOCKER_PLUGIN_TIMEOUT_MS']);
  return Number.isFinite(v) && v > 0 ? v : 30_000;
}

function addrUrl(addr: PluginAddr, method: string): string {
  return addr.kind === 'unix' ? `http://${encodeURIComponent(addr.path)}/${method}` : `http://${addr.host}:${addr.port}/${method}`;
}

/** One POST; rejects with `connect` set when the plugin could not be reached. */
function post(addr: PluginAddr, method: string, body: unknown): Promise<{ status: number; text: string }> {
  const payload = JSON.stringify(body ?? {});
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...(addr.kind === 'unix' ? { socketPath: addr.path } : { host: addr.host, port: addr.port }),
        method: 'POST',
        path: `/${method}`,
        headers: { Accept: PLUGIN_MEDIA_TYPE, 'Content-Type': PLUGIN_MEDIA_TYPE, 'Content-Length': Buffer.byteLength(payload) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER) req.destroy(new PluginCallError(`${method}: answer too long`));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { connect: true })));
    req.end(payload);
  });
}

function dialMessage(addr: PluginAddr, method: string, err: NodeJS.ErrnoException): string {
  const what = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'ECONNREFUSED' ? 'connection refused' : err.message;
  const dial = addr.kind === 'unix' ? `dial unix ${addr.path}: connect: ${what}` : `dial tcp ${addr.host}:${addr.port}: connect: ${what}`;
  return `Post "${addrUrl(addr, method)}": ${dial}`;
}

export class PluginClient {
  constructor(
    readonly addr: PluginAddr,
    private readonly timeoutMs: number,
    private readonly warn: (msg: string) => void = () => undefined,
  ) {}

  /** Calls `method` with `body`; the parsed JSON answer. */
  async call<T extends { Err?: string }>(method: string, body: unknown): Promise<T> {
    const start = Date.now();
    for (let retries = 0; ; retries++) {
      let res: { status: number; text: string };
      try {
        res = await post(this.addr, method, body);
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { connect?: boolean };
        if (!e.connect) throw err;
        const backoff = Math.min(1000 * 2 ** retries, 30_000);
        const wait = Math.min(backoff, this.timeoutMs / 4);
        if (Date.now() - start + wait > this.timeoutMs) throw new PluginCallError(dialMessage(this.addr, method, e));
        this.warn(`Unable to connect to plugin: ${method}: ${e.message}, retrying in ${wait} ms`);
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      let parsed: T;
      try {
        parsed = (res.text.trim() === '' ? {} : JSON.parse(res.text)) as T;
      } catch {
        throw new PluginCallError(res.status === 200 ? `${method}: invalid JSON answer` : `${method}: ${res.text.trim()}`);
      }
      if (res.status !== 200) throw new PluginCallError(`${method}: ${parsed.Err ?? res.text.trim()}`);
      if (typeof parsed.Err === 'string' && parsed.Err !== '') throw new PluginCallError(parsed.Err);
      return parsed;
    }
  }
}
