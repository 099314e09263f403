// Section `ports`: published ports in the kernel (src/network/firewall/) vs
// Docker's userland proxy (/usr/sbin/docker-proxy, what dockerd runs per port
// and per address family). A test bridge with a "container" (a network
// namespace running iperf3 -s) is made here with test/helpers/netlab.ts and
// removed at the end; traffic stays on loopback and that bridge.
//   - TCP throughput host → container (iperf3, 2 s runs interleaved, medians of
//     3): to the container's address directly (the floor), through our DNAT of
//     127.0.0.1:<port>, through a docker-proxy on 127.0.0.1:<port>.
//   - 1 000 published ports on one container: our time for the one nft batch,
//     processes added (0) and memory added (the daemon's reservation sockets,
//     measured as this process's RSS delta); docker-proxy: two processes per
//     port (IPv4 and IPv6), measured on 100 of them and scaled to 2 000.
//   - The same through tsdockerd: `docker run -d -p 20000-20999` vs a run
//     without ports (time, processes, daemon RSS).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { Firewall, type FirewallEndpoint } from '../src/network/firewall';
import { portElement, portLines } from '../src/network/firewall/ruleset';
import { nftRun } from '../src/native/nft';
import { NetLab } from '../test/helpers/netlab';
import { busyboxRootfsTar } from '../test/fixtures/busybox';
import type { Daemon } from './daemons';
import { median } from './measure';
import { memoryOf, tsdockerdProcesses } from './procs';
import { BENCH_LABEL, docker } from './run';
import type { Row } from './table';
import { freePort } from '../test/helpers/ports';

const log = { warn: () => undefined, info: () => undefined, debug: () => undefined };

/** Gbit/s received by iperf3 -s (one 2-second TCP run). */
function iperf(host: string, port: number): number {
  const out = execFileSync('iperf3', ['-c', host, '-p', String(port), '-t', '2', '-J'], { encoding: 'utf8', timeout: 30_000 });
  const r = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
  return r.end.sum_received.bits_per_second / 1e9;
}

/** docker-proxy as dockerd 20.10 starts it; resolves once it says it listens (fd 3: "0\n"). */
function dockerProxy(hostIp: string, hostPort: number, containerIp: string, containerPort: number): Promise<ChildProcess> {
  const args = ['-proto', 'tcp', '-host-ip', hostIp, '-host-port', String(hostPort), '-container-ip', containerIp, '-container-port', String(containerPort)];
  const p = spawn('/usr/sbin/docker-proxy', args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    p.stdio[3]!.once('data', (d: Buffer) => (d.toString().startsWith('0') ? resolve(p) : reject(new Error(`docker-proxy: ${d.toString()}`))));
    p.once('exit', (code) => reject(new Error(`docker-proxy exited ${code}`)));
  });
}

async function stopAll(procs: ChildProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  })));
}

function hasTools(): string | undefined {
  for (const [tool, pkg] of [['iperf3', 'iperf3'], ['nft', 'nftables'], ['/usr/sbin/docker-proxy', 'docker.io']] as const) {
    try {
      closeSync(openSync(tool.startsWith('/') ? tool : execFileSync('which', [tool], { encoding: 'utf8' }).trim(), 'r'));
    } catch {
      return `${tool} missing (apt-get install ${pkg})`;
    }
  }
  return undefined;
}

async function throughputRows(fw: Firewall, ep: FirewallEndpoint, ns: string, address: string): Promise<Row[]> {
  const server = spawn('ip', ['netns', 'exec', ns, 'iperf3', '-s', '-p', '5201'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const [published] = fw.publish(ep, [{ protocol: 'tcp', containerPort: 5201, hostIp: '127.0.0.1', hostPort: await freePort() }]);
    const proxyPort = await freePort();
    const proxy = await dockerProxy('127.0.0.1', proxyPort, address, 5201);
    // Interleaved, three runs of each path: the medians (the machine is shared).
    const runs = { direct: [] as number[], ours: [] as number[], theirs: [] as number[] };
    for (let i = 0; i < 3; i++) {
      runs.direct.push(iperf(address, 5201));
      runs.ours.push(iperf('127.0.0.1', published!.hostPort));
      runs.theirs.push(iperf('127.0.0.1', proxyPort));
    }
    fw.unpublish(ep.endpointId);
    await stopAll([proxy]);
    const [direct, ours, theirs] = [median(runs.direct), median(runs.ours), median(runs.theirs)];
    return [
      { metric: 'TCP host → container, to its address (veth + bridge: the floor; iperf3, median of 3)', ours: direct, peer: undefined, unit: 'Gbit/s', lowerIsBetter: false },
      { metric: 'TCP host → container through 127.0.0.1:<published> (ours: nft DNAT; peer: docker-proxy)', ours, peer: theirs, unit: 'Gbit/s', lowerIsBetter: false, goal: `≥ 90 % of the floor (ours ${((ours / direct) * 100).toFixed(0)} %)` },
    ];
  } finally {
    await stopAll([server]);
  }
}

async function thousandRows(fw: Firewall, ep: FirewallEndpoint, address: string): Promise<Row[]> {
  const before = memoryOf(process.pid).rss;
  const started = process.hrtime.bigint();
  const ports = fw.publish(ep, Array.from({ length: 1000 }, (_, i) => ({ protocol: 'tcp' as const, containerPort: 10_000 + i, hostIp: '', hostPort: 0 })));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const added = (memoryOf(process.pid).rss - before) / 1024 / 1024;
  const elements = (execFileSync('nft', ['list', 'map', 'inet', fw.tableName, 'pub4_any'], { encoding: 'utf8' }).match(/tcp \. \d+ : /g) ?? []).length;
  fw.unpublish(ep.endpointId);
  // The nft part alone: 1 000 DNAT elements added in one batch.
  const els = Array.from({ length: 1000 }, (_, i) => portElement('tcp', '0.0.0.0', 40_000 + i, address, 80));
  const t0 = process.hrtime.bigint();
  nftRun(`${portLines(fw.tableName, els).join('\n')}\n`);
  const batchMs = Number(process.hrtime.bigint() - t0) / 1e6;
  nftRun(`${portLines(fw.tableName, els, true).join('\n')}\n`);
  // docker-proxy: 100 of them (50 ports × IPv4 + IPv6), scaled to 1 000 ports.
  const proxies: ChildProcess[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const port = await freePort();
      proxies.push(await dockerProxy('0.0.0.0', port, address, 10_000 + i));
      proxies.push(await dockerProxy('::', port, address, 10_000 + i));
    }
    await new Promise((r) => setTimeout(r, 500));
    const rss = proxies.reduce((sum, p) => sum + memoryOf(p.pid!).rss, 0) / 1024 / 1024;
    return [
      { metric: `1 000 published ports: processes added (ours: ${ports.length} ports, ${elements} map elements)`, ours: 0, peer: 2000, unit: 'processes', lowerIsBetter: true, goal: 'no process per port' },
      { metric: '1 000 published ports: memory added (peer: 100 docker-proxy measured, ×20)', ours: added, peer: rss * 20, unit: 'MB', lowerIsBetter: true },
      { metric: '1 000 published ports: publish() (2 000 reservation binds + one nft batch)', ours: ms, peer: undefined, unit: 'ms', lowerIsBetter: true },
      { metric: '1 000 published ports: the nft batch alone (1 000 map elements)', ours: batchMs, peer: undefined, unit: 'ms', lowerIsBetter: true, goal: 'issue: 1 000 nft map elements 15 ms' },
    ];
  } finally {
    await stopAll(proxies);
  }
}

/** `docker run -d` with 1 000 ephemeral published ports vs none, through tsdockerd: time, daemon RSS, processes. */
async function daemonRows(ours: Daemon): Promise<Row[]> {
  if (spawnSync('docker', ['image', 'inspect', 'busybox'], { env: { ...process.env, DOCKER_HOST: ours.host }, stdio: 'ignore' }).status !== 0) {
    docker(ours, ['import', await busyboxRootfsTar(), 'busybox:latest']);
  }
  const run = (ports: string[]) => {
    const t0 = process.hrtime.bigint();
    const id = docker(ours, ['run', '-d', '--label', BENCH_LABEL, ...ports, 'busybox', 'sleep', '600']).trim();
    return { id, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  };
  // Interleaved, three of each: the medians.
  const plainMs: number[] = [], manyMs: number[] = [];
  for (let i = 0; i < 2; i++) {
    const a = run([]), b = run(['-p', '20000-20999']);
    plainMs.push(a.ms), manyMs.push(b.ms);
    docker(ours, ['rm', '-f', a.id, b.id]);
  }
  const plain = run([]);
  const rss0 = memoryOf(ours.pid).rss;
  const many = run(['-p', '20000-20999']);
  const rss1 = memoryOf(ours.pid).rss;
  plainMs.push(plain.ms), manyMs.push(many.ms);
  try {
    const ports = JSON.parse(docker(ours, ['inspect', '-f', '{{json .NetworkSettings.Ports}}', many.id])) as Record<string, unknown[] | null>;
    const bound = Object.values(ports).reduce((n, l) => n + (l?.length ?? 0), 0);
    const procs = (id: string) => { const p = tsdockerdProcesses(ours.pid, [id]); return p.daemon.length + p.shims.length; };
    return [
      { metric: `tsdockerd: \`docker run -d -p 20000-20999\` (${bound} ports bound) minus one without ports (medians of 3)`, ours: median(manyMs) - median(plainMs), peer: undefined, unit: 'ms', lowerIsBetter: true },
      { metric: 'tsdockerd: processes for that container beyond one without ports', ours: procs(many.id) - procs(plain.id), peer: 2000, unit: 'processes', lowerIsBetter: true, goal: 'peer: dockerd\'s 2 docker-proxy per port' },
      { metric: 'tsdockerd: daemon RSS added by that container', ours: (rss1 - rss0) / 1024 / 1024, peer: undefined, unit: 'MB', lowerIsBetter: true },
    ];
  } finally {
    docker(ours, ['rm', '-f', plain.id, many.id]);
  }
}

export async function portsRows(ours: Daemon): Promise<Row[]> {
  const missing = hasTools();
  if (missing !== undefined) {
    process.stderr.write(`bench ports: skipped: ${missing}\n`);
    return [];
  }
  const lab = new NetLab();
  const fw = Firewall.open({ table: `tsdbench_${lab.tag}`, log });
  try {
    const br = lab.bridge();
    const c = lab.container(br, 2);
    fw.addNetwork({ id: `bench${lab.tag}`, bridge: br.name, subnets: [br.subnet], internal: false, masquerade: true, icc: true });
    const ep: FirewallEndpoint = { endpointId: `benchep${lab.tag}`, networkId: `bench${lab.tag}`, bridge: br.name, hostIfname: c.hostIf, ipv4: c.address };
    return [...(await throughputRows(fw, ep, c.ns, c.address)), ...(await thousandRows(fw, ep, c.address)), ...(await daemonRows(ours))];
  } finally {
    fw.destroy();
    lab.cleanup();
  }
}
