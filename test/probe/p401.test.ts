import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { startDockerd } from '../helpers/dockerd';
import { startRegistry } from '../helpers/registry';

function raw(socket: string, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path, method: 'POST', headers }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve(`${res.statusCode} ${JSON.stringify(res.headers)}\n${b}`));
    });
    req.end();
  });
}

it('probe', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  const hash = execFileSync('python3', ['-W', 'ignore', '-c', "import crypt,sys; print(crypt.crypt('s3cret', '$2b$05$abcdefghijklmnopqrstuv'))"], { encoding: 'utf8' }).trim();
  writeFileSync(join(dir, 'htpasswd'), `tester:${hash}\n`);
  const reg = await startRegistry({ extraConfig: ['auth:', '  htpasswd:', '    realm: test', `    path: ${join(dir, 'htpasswd')}`].join('\n') });
  const peer = await startDockerd();
  try {
    const cfg = mkdtempSync(join(tmpdir(), 'probecfg-'));
    const env = { ...process.env, DOCKER_HOST: peer.host, DOCKER_CONFIG: cfg };
    const run = (args: string[]) => { try { return execFileSync('docker', args, { env, encoding: 'utf8', input: '' }); } catch (e) { const x = e as { status: number; stdout: string; stderr: string }; return `code ${x.status}\nOUT ${x.stdout}\nERR ${x.stderr}`; } };
    console.log('PULL', run(['pull', `${reg.host}/private:1`]));
    console.log('RAW', await raw(peer.socket, `/v1.41/images/create?fromImage=${reg.host}/private&tag=1`));
    console.log('RAWAUTH', await raw(peer.socket, `/v1.41/images/create?fromImage=${reg.host}/private&tag=1`, { 'X-Registry-Auth': Buffer.from(JSON.stringify({ username: 'tester', password: 'bad' })).toString('base64url') }));
    console.log('DIST', await new Promise((resolve) => { http.get({ socketPath: peer.socket, path: `/v1.41/distribution/${reg.host}/private:1/json` }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(`${res.statusCode} ${b}`)); }); }));
    console.log('PUSHRAW', await raw(peer.socket, `/v1.41/images/${reg.host}/private/push?tag=1`));
    console.log('RUN', run(['run', '--rm', `${reg.host}/private:1`]));
  } finally {
    await peer.stop();
    await reg.stop();
  }
}, 120_000);
