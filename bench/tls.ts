// Issue 15's bench (section `tls`): GET /containers/json request rates over
// mutual TLS (the CA, server and client certificates of `tsdocker tls init`'s
// code) and over the Unix socket of the same daemon, tsdockerd next to a
// dockerd started with --tlsverify and the same certificates; and the CLIs
// over ssh:// through a private sshd on 127.0.0.1 (test/helpers/sshd.ts):
// `tsdocker ps` next to `docker ps`, `tsdocker run --rm` next to `docker run
// --rm` (ours shares one ssh connection per invocation, the docker CLI dials
// one per HTTP connection), both against tsdockerd. Loopback only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerdVersion, startDockerd } from '../test/helpers/dockerd';
import { sshdMissingReason, startSshd } from '../test/helpers/sshd';
import { freePort } from '../test/helpers/ports';
import { makeCerts, type TestCerts } from '../test/helpers/tls';
import { CLI_PATH, startTsdockerd, type Daemon } from './daemons';
import { median, okGet, rateOf, requestRate, wallTimes } from './measure';
import { importBusybox } from './run';
import type { Row } from './table';

const PATH = '/containers/json';
/** Runs per CLI command (a `docker run` over ssh:// takes seconds). */
const CLI_RUNS = { ps: 11, run: 7 } as const;

/** Requests per second for GET `path` over mutual TLS, 8 keep-alive connections (see rateOf; the warm-up makes the 8 handshakes). */
async function tlsRequestRate(port: number, certs: TestCerts, path: string): Promise<number> {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 8,
    ca: readFileSync(certs.ca),
    cert: readFileSync(certs.clientCert),
    key: readFileSync(certs.clientKey),
  });
  try {
    return await rateOf(okGet(path, (cb) => https.get({ host: '127.0.0.1', port, path, agent, servername: 'localhost' }, cb)));
  } finally {
    agent.destroy();
  }
}

function tlsArgs(certs: TestCerts, port: number): string[] {
  return ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey];
}

async function rateRows(certs: TestCerts): Promise<Row[]> {
  const oursPort = await freePort();
  const ours = await startTsdockerd(tlsArgs(certs, oursPort));
  let peer: { socket: string; port: number; stop(): Promise<void> } | undefined;
  if (process.env['BENCH_PEER'] !== '0' && dockerdVersion() !== undefined) {
    const port = await freePort();
    const d = await startDockerd({ prefix: 'dockerd-bench-tls-', namespace: 'tsd-bench-tls', args: tlsArgs(certs, port) });
    peer = { socket: d.socket, port, stop: d.stop };
  }
  try {
    return [
      {
        metric: `GET ${PATH} over mutual TLS (8 keep-alive connections)`,
        ours: await tlsRequestRate(oursPort, certs, PATH),
        peer: peer ? await tlsRequestRate(peer.port, certs, PATH) : undefined,
        unit: 'req/s',
        lowerIsBetter: false,
      },
      {
        metric: `GET ${PATH} over the Unix socket of the same daemon`,
        ours: await requestRate(ours.socket, PATH),
        peer: peer ? await requestRate(peer.socket, PATH) : undefined,
        unit: 'req/s',
        lowerIsBetter: false,
      },
    ];
  } finally {
    await ours.stop();
    await peer?.stop();
  }
}

/** tsdocker vs the docker CLI over ssh://, both against tsdockerd through one sshd. */
async function sshRows(): Promise<Row[]> {
  const missing = sshdMissingReason();
  if (missing || spawnSync('docker', ['--version']).status !== 0) {
    process.stderr.write(`bench: ssh rows skipped: ${missing ?? 'no docker CLI'}\n`);
    return [];
  }
  const ours: Daemon = await startTsdockerd();
  const sshd = await startSshd(ours.socket, CLI_PATH);
  try {
    await importBusybox([ours]);
    const env = { PATH: sshd.clientPath, DOCKER_HOST: sshd.url };
    const rows: Row[] = [];
    for (const args of [['ps'], ['run', '--rm', '--network', 'none', 'busybox', 'true']]) {
      rows.push({
        metric: `\`${args.slice(0, 2).join(' ')}\` over ssh:// via sshd on 127.0.0.1 (median; peer column: the docker CLI, same tsdockerd)`,
        ours: median(wallTimes(CLI_PATH, args, env, CLI_RUNS[args[0] as 'ps' | 'run'])),
        peer: median(wallTimes('docker', args, env, CLI_RUNS[args[0] as 'ps' | 'run'])),
        unit: 'ms',
        lowerIsBetter: true,
      });
    }
    return rows;
  } finally {
    await sshd.stop();
    await ours.stop();
  }
}

export async function tlsRows(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-bench-certs-'));
  try {
    const certs = await makeCerts(join(dir, 'certs'));
    return [...(await rateRows(certs)), ...(await sshRows())];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
