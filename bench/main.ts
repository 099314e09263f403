// `npm run bench`: tsdocker side by side with a real dockerd in one run, as a
// markdown table. The peer is BENCH_PEER_HOST (unix:///…) when set; otherwise
// Debian's dockerd is started here on its own socket and data root when
// installed (BENCH_PEER=0 skips it), and stopped by PID at the end. Sections:
// `api` (request rates, CLI start-up, idle memory), `cli` (./cli.ts), `load` (./load.ts), `run`, `containers`, `stats`,
// `network` (./network.ts), `ports` (./ports.ts: published ports in the kernel vs docker-proxy), `dns` (./dns.ts: name
// resolution at 127.0.0.11), `volumes` (./volumes.ts) `registry` (pull and push, ./registry.ts)
// and `tls` (TLS and ssh://, ./tls.ts).
// All traffic stays on Unix sockets on this machine; every loop is bounded.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI_PATH, ROOT, startPeerDockerd, startTsdockerd, type Daemon } from './daemons';
import { cliRows } from './cli';
import { containerRows } from './containers';
import { dnsRows } from './dns';
import { loadRows } from './load';
import { networkRows } from './network';
import { median, requestRate, rssOfTree, wallTimes } from './measure';
import { portsRows } from './ports';
import { registryRows } from './registry';
import { runRows } from './run';
import { statsRows } from './stats';
import { volumeRows } from './volumes';
import { tlsRows } from './tls';
import { fmt, ratio, type Row } from './table';

/** BENCH_ONLY=api,load runs only those sections. */
function wanted(section: string): boolean {
  const only = process.env['BENCH_ONLY'];
  return !only || only.split(',').includes(section);
}

async function main(): Promise<void> {
  const ours = await startTsdockerd();
  let peer: Daemon | undefined;
  try {
    peer = await startPeerDockerd();
  } catch (err) {
    process.stderr.write(`bench: no dockerd peer: ${(err as Error).message}\n`);
  }
  const rows: Row[] = [];
  try {
    if (wanted('api')) {
      const hasDocker = spawnSync('docker', ['--version']).status === 0;
      for (const path of ['/_ping', '/version']) {
        rows.push({
          metric: `GET ${path} over the Unix socket`,
          ours: await requestRate(ours.socket, path),
          peer: peer ? await requestRate(peer.socket, path) : undefined,
          unit: 'req/s',
          lowerIsBetter: false,
        });
      }
      const oursCli = wallTimes(CLI_PATH, ['version'], { DOCKER_HOST: ours.host }, 21);
      rows.push({
        metric: '`tsdocker version` wall time (median)',
        ours: median(oursCli),
        peer: peer && hasDocker ? median(wallTimes('docker', ['version'], { DOCKER_HOST: peer.host }, 21)) : undefined,
        unit: 'ms',
        lowerIsBetter: true,
        goal: '≤ 120 ms (peer column: Go `docker version`)',
      });
      rows.push({
        metric: '`node -e 0` (the Node start-up floor, in this environment)',
        ours: median(wallTimes(process.execPath, ['-e', '0'], {}, 21)),
        peer: undefined,
        unit: 'ms',
        lowerIsBetter: true,
      });
      // The CLI starts node without NODE_EXTRA_CA_CERTS (see bin/tsdocker): its floor.
      rows.push({
        metric: '`node -e 0` without NODE_EXTRA_CA_CERTS (the floor of bin/tsdocker)',
        ours: median(wallTimes('env', ['-u', 'NODE_EXTRA_CA_CERTS', process.execPath, '-e', '0'], {}, 21)),
        peer: undefined,
        unit: 'ms',
        lowerIsBetter: true,
      });
      if (hasDocker) {
        rows.push({
          metric: 'docker CLI `docker version` against the daemon',
          ours: median(wallTimes('docker', ['version'], { DOCKER_HOST: ours.host }, 21)),
          peer: peer ? median(wallTimes('docker', ['version'], { DOCKER_HOST: peer.host }, 21)) : undefined,
          unit: 'ms',
          lowerIsBetter: true,
        });
      }
      // Idle: two seconds without a request (tsdockerd gives back the heap pages a burst freed after one).
      await new Promise((r) => setTimeout(r, 2000));
      rows.push({
        metric: 'daemon idle RSS (peer: dockerd + containerd)',
        ours: rssOfTree(ours.pid) / 1024 / 1024,
        peer: peer ? rssOfTree(peer.pid) / 1024 / 1024 : undefined,
        unit: 'MB',
        lowerIsBetter: true,
        goal: '≤ 80 MB',
      });
    }
    if (wanted('cli') && spawnSync('docker', ['--version']).status === 0) rows.push(...(await cliRows(ours)));
    if (wanted('load')) rows.push(...(await loadRows(ours, peer)));
    if (wanted('run')) rows.push(...(await runRows(ours, peer)));
    if (wanted('containers')) rows.push(...(await containerRows(ours, peer)));
    if (wanted('stats')) rows.push(...(await statsRows(ours, peer)));
    if (wanted('network')) rows.push(...(await networkRows(ours)));
    if (wanted('ports')) rows.push(...(await portsRows(ours)));
    if (wanted('dns')) rows.push(...(await dnsRows(ours, peer)));
    if (wanted('volumes')) rows.push(...(await volumeRows(ours, peer)));
    if (wanted('registry')) rows.push(...(await registryRows(ours, peer)));
    if (wanted('tls')) rows.push(...(await tlsRows()));
  } finally {
    await ours.stop();
    await peer?.stop();
  }

  const lines = [
    `| metric | tsdocker | ${peer ? `dockerd (${peer.version})` : 'dockerd (not run)'} | unit | ratio | goal |`,
    '|---|---:|---:|---|---|---|',
    ...rows.map((r) => `| ${r.metric} | ${fmt(r.ours)} | ${fmt(r.peer)} | ${r.unit} | ${ratio(r)} | ${r.goal ?? ''} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`\n(${new Date().toISOString()}, node ${process.versions.node}, ${join(ROOT)})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
