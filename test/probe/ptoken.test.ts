import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { startDockerd } from '../helpers/dockerd';
import { startDaemon } from '../helpers/daemon';
import { startRegistry } from '../helpers/registry';
import { htpasswdConfig, htpasswdFile, startTokenServer } from '../helpers/registry-auth';

function raw(socket: string, path: string, method = 'POST', headers: Record<string, string> = {}, body?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path, method, headers }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve(`${res.statusCode} ${b}`));
    });
    req.end(body);
  });
}

it('probe', async () => {
  const peer = await startDockerd();
  const ours = await startDaemon();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'probe-'));
    for (const anonymous of ['deny', 'empty', 'basic'] as const) {
      const ts = await startTokenServer({ anonymous: anonymous === 'basic' ? 'deny' : anonymous, users: { tester: 's3cret' } });
      const reg = await startRegistry({ extraConfig: anonymous === 'basic' ? htpasswdConfig(htpasswdFile(dir, 'tester', 's3cret')) : ts.config });
      for (const [who, host, sock] of [['dockerd', peer.host, peer.socket], ['ours', ours.host, ours.host.replace('unix://', '')]] as const) {
        const cfg = mkdtempSync(join(tmpdir(), 'probecfg-'));
        const env = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: cfg };
        const run = (args: string[]) => new Promise((resolve) => execFile('docker', args, { env, encoding: 'utf8' }, (e, o, er) => resolve(`code ${e ? (e as {code?:number}).code : 0} OUT ${o} ERR ${er}`)));
        console.log(anonymous, who, 'PULL', await run(['pull', `${reg.host}/private:1`]));
        console.log(anonymous, who, 'RAW', await raw(sock, `/v1.41/images/create?fromImage=${reg.host}/private&tag=1`));
        console.log(anonymous, who, 'AUTHBAD', await raw(sock, `/v1.41/auth`, 'POST', { 'content-type': 'application/json' }, JSON.stringify({ username: 'tester', password: 'bad', serveraddress: reg.host })));
        console.log(anonymous, who, 'AUTHOK', await raw(sock, `/v1.41/auth`, 'POST', { 'content-type': 'application/json' }, JSON.stringify({ username: 'tester', password: 's3cret', serveraddress: reg.host })));
        console.log(anonymous, who, 'PUSH', await run(['push', `${reg.host}/private:1`]));
      }
      await reg.stop();
      await ts.close();
    }
  } finally {
    await peer.stop();
    await ours.cleanup();
  }
}, 120_000);
