// Issue 12's DNS bench: name resolution inside a container at 127.0.0.11, ours
// (a socket the daemon opened in the container's netns) against dockerd's
// embedded resolver (its iptables DNAT in the container's netns to dockerd's
// socket). On each daemon: a user network, a target container and a client
// container on it; test/helpers/dns-client.cjs runs in the client's network
// namespace (nsenter) and asks for the target's name: no external lookups.
// Figures: lookups per second with 16 in flight, and the p50/p99 latency of
// sequential lookups. Everything is removed at the end.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, type Daemon } from './daemons';
import { BENCH_LABEL, docker, importBusybox, percentile, removeBenchContainers } from './run';
import type { Row } from './table';

const CLIENT = join(ROOT, 'test', 'helpers', 'dns-client.cjs');
const SEQUENTIAL = 2000;
const PARALLEL = 10_000;
const IN_FLIGHT = 16;

interface ClientResult {
  replies: Array<{ rcode?: number; answers?: unknown[]; error?: string }>;
  latenciesUs: number[];
  totalUs: number;
}

function lookups(pid: string, name: string, count: number, concurrency: number): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, CLIENT, '127.0.0.11', name, 'A', 'udp', String(count), String(concurrency)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as ClientResult) : reject(new Error(`dns client: ${code} ${err}`))));
  });
}

interface Figures { qps: number; p50: number; p99: number }

async function measure(d: Daemon): Promise<Figures | undefined> {
  const tag = Math.random().toString(36).slice(2, 8);
  const net = `tsd-bench-dns-${tag}`;
  docker(d, ['network', 'create', net]);
  try {
    const run = (name: string) => docker(d, ['run', '-d', '--name', name, '--network', net, '--label', BENCH_LABEL, 'busybox', 'sleep', '600']).trim();
    run(`dns-target-${tag}`);
    const client = run(`dns-client-${tag}`);
    const pid = docker(d, ['inspect', '-f', '{{.State.Pid}}', client]).trim();
    const target = `dns-target-${tag}`;
    const warm = await lookups(pid, target, 50, 1);
    if (warm.replies.some((r) => r.error !== undefined || !r.answers?.length)) {
      process.stderr.write(`bench dns: ${d.version}: no answer for a container name at 127.0.0.11 (${JSON.stringify(warm.replies[0])})\n`);
      return undefined;
    }
    const seq = await lookups(pid, target, SEQUENTIAL, 1);
    const par = await lookups(pid, target, PARALLEL, IN_FLIGHT);
    const failed = par.replies.filter((r) => r.error !== undefined).length;
    if (failed) process.stderr.write(`bench dns: ${d.version}: ${failed} of ${PARALLEL} lookups got no answer\n`);
    return { qps: (PARALLEL - failed) / (par.totalUs / 1e6), p50: percentile(seq.latenciesUs, 50), p99: percentile(seq.latenciesUs, 99) };
  } finally {
    await removeBenchContainers(d);
    docker(d, ['network', 'rm', net]);
  }
}

export async function dnsRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  await importBusybox(peer ? [ours, peer] : [ours]);
  const a = await measure(ours);
  const b = peer ? await measure(peer).catch((err: unknown) => (process.stderr.write(`bench dns: peer: ${(err as Error).message}\n`), undefined)) : undefined;
  return [
    { metric: `DNS: container-name lookups/s at 127.0.0.11 inside a container (UDP, ${IN_FLIGHT} in flight, ${PARALLEL} lookups)`, ours: a?.qps, peer: b?.qps, unit: 'lookups/s', lowerIsBetter: false },
    { metric: `DNS: one container-name lookup at 127.0.0.11, p50 of ${SEQUENTIAL} sequential`, ours: a?.p50, peer: b?.p50, unit: 'µs', lowerIsBetter: true },
    { metric: `DNS: one container-name lookup at 127.0.0.11, p99 of ${SEQUENTIAL} sequential`, ours: a?.p99, peer: b?.p99, unit: 'µs', lowerIsBetter: true },
  ];
}
