import { makeArchive } from '../../bench/registry';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { it } from 'vitest';
import { startDaemon } from '../helpers/daemon';
import { startRegistry } from '../helpers/registry';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function pull(socket: string, image: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const lines: string[] = [];
    const req = http.request({ socketPath: socket, method: 'POST', path: `/images/create?fromImage=${encodeURIComponent(image)}` }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { buf += c; let i; while ((i = buf.indexOf('\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1); const m = JSON.parse(l); if (!m.progressDetail?.current || m.progressDetail.current === m.progressDetail.total) lines.push(`${Date.now() - t0} ${m.id ?? ''} ${m.status ?? m.error}`); } });
      res.on('end', () => resolve(lines));
    });
    req.on('error', reject);
    req.end();
  });
}

it('probe', async () => {
  const archive = makeArchive(mkdtempSync(join(tmpdir(), 'probe-arch-')));
  const reg = await startRegistry();
  process.env.NODE_OPTIONS = '--cpu-prof --cpu-prof-dir=/tmp/prof';
  const d = await startDaemon();
  delete process.env.NODE_OPTIONS;
  try {
    reg.seed(archive, 'bench-pull:1', ['--dest-compress']);
    console.log(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/bench-pull:1`], { encoding: 'utf8' }));
    for (let i = 0; i < 2; i++) {
      const sock = d.host.replace('unix://', '');
      console.log((await pull(sock, `${reg.host}/bench-pull:1`)).join('\n'));
      await d.request('DELETE', `/images/${reg.host}/bench-pull:1?force=1`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await d.cleanup();
    await reg.stop();
  }
}, 300_000);
