// Stale UDP flows, dropped as dockerd drops them (clearEndpointConnections):
// conntrack keeps a UDP "connection" while datagrams keep coming, so a client
// that kept sending to a host port before it was published (a flow to the host
// itself) or while it pointed at another container (the old DNAT) would never
// see the new mapping. After a port's elements change, the UDP flows whose
// original destination port is that host port are deleted: one `conntrack -L`
// finds which ports have flows, one `conntrack -D` per such port (Debian's
// conntrack package; without it this is logged once and skipped).
import { spawnSync } from 'node:child_process';
import type { FirewallOptions, PublishedPort } from './types';

let missing = false;

function conntrack(args: string[], log: FirewallOptions['log']): string | undefined {
  const r = spawnSync('conntrack', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    missing = true;
    log.warn('conntrack not found (apt-get install conntrack): UDP flows to a re-published port may keep their old destination');
    return undefined;
  }
  return r.stdout ?? '';
}

export function flushUdpFlows(ports: readonly PublishedPort[], log: FirewallOptions['log']): void {
  if (missing) return;
  const wanted = new Set(ports.filter((p) => p.protocol === 'udp').map((p) => p.hostPort));
  if (wanted.size === 0) return;
  const flows = conntrack(['-L', '-p', 'udp'], log);
  if (flows === undefined) return;
  const live = new Set<number>();
  // "udp 17 29 src=… dst=… sport=… dport=18090 …": the first dport= is the original direction's.
  for (const line of flows.split('\n')) {
    const port = Number(/ dport=(\d+)/.exec(line)?.[1]);
    if (wanted.has(port)) live.add(port);
  }
  for (const port of live) conntrack(['-D', '-p', 'udp', '--orig-port-dst', String(port)], log);
}
