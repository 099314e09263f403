// The `network` section (issue 12): what the default bridge adds to
// `docker run --rm busybox true` over `--network none`, on tsdockerd (veth
// pair, addresses and routes over the addon's netlink: no process) and on a
// dockerd peer started on a bridge the bench makes (libnetwork's veth set-up,
// no iptables rules on the host). Runs are interleaved, medians compared.
// Also the attach itself, timed in the daemon's own log (network step).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { netAttach, netBridge, netLinkDelete } from '../src/native';
import { startBridgedDockerd, type Daemon } from './daemons';
import { median } from './measure';
import { BENCH_LABEL, importBusybox, removeBenchContainers, timedSpawn } from './run';
import type { Row } from './table';

const ROUNDS = 21;

function run(d: Daemon, network: string): Promise<number> {
  return timedSpawn('docker', ['run', '--rm', '--network', network, '--label', BENCH_LABEL, 'busybox', 'true'], { DOCKER_HOST: d.host });
}

async function pairTimes(d: Daemon): Promise<{ bridge: number[]; none: number[] }> {
  await run(d, 'bridge');
  await run(d, 'none');
  const out = { bridge: [] as number[], none: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    out.bridge.push(await run(d, 'bridge'));
    out.none.push(await run(d, 'none'));
  }
  return out;
}

/** A bridge of the bench's own for the dockerd peer (10.<x>.0.1/24), deleted after. */
function makeBridge(): { name: string; remove: () => void } {
  const name = `tsdbn${randomBytes(3).toString('hex')}`;
  const x = 100 + Math.floor(Math.random() * 100);
  execFileSync('ip', ['link', 'add', name, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `10.${x}.250.1/24`, 'dev', name]);
  execFileSync('ip', ['link', 'set', name, 'up']);
  return { name, remove: () => void spawnSync('ip', ['link', 'del', name]) };
}

export async function networkRows(ours: Daemon): Promise<Row[]> {
  const bridge = makeBridge();
  let peer: Daemon | undefined;
  try {
    peer = await startBridgedDockerd(bridge.name).catch((err: unknown) => {
      process.stderr.write(`bench: no bridged dockerd peer: ${(err as Error).message}\n`);
      return undefined;
    });
    await importBusybox(peer ? [ours, peer] : [ours]);
    const o = await pairTimes(ours);
    const p = peer ? await pairTimes(peer) : undefined;
    await removeBenchContainers(ours);
    return [
      { metric: '`docker run --rm busybox true`, default bridge (median)', ours: median(o.bridge), peer: p && median(p.bridge), unit: 'ms', lowerIsBetter: true },
      { metric: '`docker run --rm --network none busybox true` (median)', ours: median(o.none), peer: p && median(p.none), unit: 'ms', lowerIsBetter: true },
      {
        metric: 'what the bridge adds to a run (difference of the medians)',
        ours: median(o.bridge) - median(o.none),
        peer: p && median(p.bridge) - median(p.none),
        unit: 'ms',
        lowerIsBetter: true,
        goal: '≤ 3 ms',
      },
      attachFloorRow(),
    ];
  } finally {
    await peer?.stop();
    bridge.remove();
  }
}

/** The network step's own work: one endpoint (veth into a fresh netns, address, routes) by the addon, median of 21. */
export function attachFloorRow(): Row {
  const tag = randomBytes(3).toString('hex');
  const ns = `tsdbn${tag}`;
  const br = `tsdbb${tag}`;
  execFileSync('ip', ['netns', 'add', ns]);
  const times: number[] = [];
  try {
    netBridge(br, 1500, ['10.251.250.1/24']);
    for (let i = 0; i < 21; i++) {
      const t0 = process.hrtime.bigint();
      netAttach({ kind: 'veth', netns: `/run/netns/${ns}`, ifname: 'eth0', hostIfname: `tsdbv${tag}`, bridge: br, parent: null, mac: null, mtu: 1500, hairpin: true, addresses: ['10.251.250.2/24'], gateways: ['10.251.250.1'] });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      netLinkDelete(`tsdbv${tag}`, null);
    }
  } finally {
    spawnSync('ip', ['link', 'del', br]);
    spawnSync('ip', ['netns', 'del', ns]);
  }
  return { metric: 'the network step: one endpoint attached by the addon (veth, address, routes; median)', ours: median(times), peer: undefined, unit: 'ms', lowerIsBetter: true, goal: '≤ 3 ms' };
}
