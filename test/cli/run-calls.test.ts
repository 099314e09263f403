// `tsdocker run`'s requests, seen by a recording proxy in front of the daemon:
// one ping whose connection the create reuses, attach and wait sent together
// (the proxy holds the attach's 101 back: wait must not queue behind it), then
// start, as docker 28 orders them (shared/spec/CLI-CALLS.md); and no HTTP
// library loaded on that path (undici's WASM parser is instantiated only by
// commands that stream).
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, removeTestObjects, TEST_IMAGE, type Target } from './target';

const P = 'tsdcli-calls-';
const HOLD_UPGRADE_MS = 400;

interface Call {
  connection: number;
  line: string;
  at: number;
}

let t: Target;
let dir: string;
let proxy: net.Server;
const calls: Call[] = [];
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  t = await startTarget();
  dir = mkdtempSync(join(tmpdir(), 'tsd-calls-'));
  const upstreamPath = t.host.replace(/^unix:\/\//, '');
  let connections = 0;
  proxy = net.createServer({ allowHalfOpen: true }, (client) => {
    const connection = ++connections;
    const upstream = net.connect({ path: upstreamPath, allowHalfOpen: true });
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      for (const m of chunk.toString('latin1').matchAll(/^(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP\/1\.1\r$/gm)) {
        calls.push({ connection, line: `${m[1]} ${m[2]!.replace(/^\/v[\d.]+/, '').replace(/[0-9a-f]{64}/, 'ID').replace(/\?.*/, '')}`, at: Date.now() });
      }
      upstream.write(chunk);
    });
    // The daemon's bytes in order, those from a 101 on held back.
    let forwarded = Promise.resolve();
    const later = (action: () => void, hold: boolean) =>
      (forwarded = forwarded.then(() => new Promise<void>((r) => setTimeout(r, hold ? HOLD_UPGRADE_MS : 0))).then(action));
    upstream.on('data', (chunk: Buffer) => void later(() => client.write(chunk), chunk.toString('latin1').startsWith('HTTP/1.1 101')));
    client.on('end', () => upstream.end());
    upstream.on('end', () => void later(() => client.end(), false));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(join(dir, 'proxy.sock'), resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => proxy?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!t) return;
  removeTestObjects(t, P);
  await t.cleanup();
});

describe('run --rm', () => {
  it('pings once on the connection create reuses, and sends attach and wait together before start', async () => {
    const proxyHost = `unix://${join(dir, 'proxy.sock')}`;
    // Not spawnSync: the proxy runs in this process.
    const r = await t.cliAsync(['run', '--rm', '--name', `${P}r`, TEST_IMAGE, 'echo', 'hi'], { env: { DOCKER_HOST: proxyHost, TSDOCKER_HOST: proxyHost } }).done;
    expect(r).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    const lines = calls.map((c) => c.line);
    expect(lines.slice(0, 2)).toEqual(['GET /_ping', 'POST /containers/create']);
    expect(calls[0]!.connection).toBe(calls[1]!.connection);
    expect(new Set(lines.slice(2, 4))).toEqual(new Set(['POST /containers/ID/attach', 'POST /containers/ID/wait']));
    expect(lines[4]).toBe('POST /containers/ID/start');
    const attach = calls.find((c) => c.line.endsWith('/attach'))!;
    const wait = calls.find((c) => c.line.endsWith('/wait'))!;
    expect(Math.abs(wait.at - attach.at)).toBeLessThan(HOLD_UPGRADE_MS / 2);
    expect(new Set(calls.map((c) => c.connection)).size).toBe(3);
  });
});

describe('the hot path', () => {
  it('run and ps make no WebAssembly instance (undici stays unloaded); a streaming command does', async () => {
    // Preloaded into the CLI's node: counts WebAssembly instances made, reported at exit.
    const probe = join(dir, 'wasm-probe.cjs');
    writeFileSync(
      probe,
      `let n = 0;
const { Instance, instantiate } = WebAssembly;
WebAssembly.Instance = function (...a) { n++; return new Instance(...a); };
WebAssembly.instantiate = (...a) => { n++; return instantiate(...a); };
process.on('exit', () => process.stderr.write('wasm-instances=' + n + '\\n'));
`,
    );
    const env = { NODE_OPTIONS: `--require ${probe}` };
    const count = (r: { stderr: string }) => Number(/wasm-instances=(\d+)/.exec(r.stderr)?.[1]);
    const run = await t.cliAsync(['run', '--rm', TEST_IMAGE, 'true'], { env }).done;
    expect(run.code, run.stderr).toBe(0);
    expect(count(run)).toBe(0);
    expect(count(await t.cliAsync(['ps'], { env }).done)).toBe(0);
    const events = await t.cliAsync(['events', '--since', '1m', '--until', '0s'], { env }).done;
    expect(count(events)).toBeGreaterThan(0);
  });
});
