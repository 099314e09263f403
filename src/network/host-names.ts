// Names this daemon gives to things on the host. Several daemons (tests) and
// a real dockerd (docker0) can share one host, so every host-wide name carries
// a per-daemon tag: '' for the default exec root, else 6 hex of sha256(execRoot).
import { createHash } from 'node:crypto';

export const DEFAULT_EXEC_ROOT = '/run/tsdocker';

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** '' for /run/tsdocker, else the first 6 hex of sha256(execRoot). */
export function daemonTag(execRoot: string): string {
  return execRoot.replace(/\/+$/, '') === DEFAULT_EXEC_ROOT ? '' : sha256(execRoot).slice(0, 6);
}

/** The default bridge network's Linux bridge: tsd0, or tsd<tag>. */
export function defaultBridgeName(execRoot: string): string {
  const tag = daemonTag(execRoot);
  return tag === '' ? 'tsd0' : `tsd${tag}`;
}

/** The nftables table of this daemon: tsdocker, or tsdocker_<tag>. */
export function nftTableName(execRoot: string): string {
  const tag = daemonTag(execRoot);
  return tag === '' ? 'tsdocker' : `tsdocker_${tag}`;
}

/** A user network's bridge, as Docker names it: br-<first 12 of the network ID>. */
export function userBridgeName(networkId: string): string {
  return `br-${networkId.slice(0, 12)}`;
}

/** The host end of an endpoint's veth pair: veth<7 hex of sha256(endpointId)>. */
export function hostVethName(endpointId: string): string {
  return `veth${sha256(endpointId).slice(0, 7)}`;
}
