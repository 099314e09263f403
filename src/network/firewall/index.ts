// The firewall's surface: the Firewall class (firewall.ts), its types, and the
// two views of published ports Docker's API has.
import type { ContainerPort } from '../../api/types';
import type { PublishedPort } from './types';

export { Firewall } from './firewall';
export { USER_CHAIN } from './ruleset';
export type { FirewallEndpoint, FirewallNetwork, FirewallOptions, PortProtocol, PublishedPort } from './types';

/** NetworkSettings.Ports: every exposed or published "port/proto", its host bindings or null when unpublished. */
export function portMap(exposed: readonly string[], published: readonly PublishedPort[]): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const key of exposed) out[key] = null;
  for (const p of published) {
    const key = `${p.containerPort}/${p.protocol}`;
    (out[key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  }
  return out;
}

/** The Ports of GET /containers/json: published ports with IP and PublicPort, exposed ones alone. */
export function listPorts(exposed: readonly string[], published: readonly PublishedPort[]): ContainerPort[] {
  const out: ContainerPort[] = published.map((p) => ({ IP: p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol }));
  const seen = new Set(published.map((p) => `${p.containerPort}/${p.protocol}`));
  for (const key of exposed) {
    if (seen.has(key)) continue;
    const [port, proto = 'tcp'] = key.split('/');
    out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}
