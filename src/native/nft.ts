// The firewall's doors in the addon (C: native/src/addon_nft.c): libnftables
// batches and port reservations. Kept apart from index.ts so the network lanes
// do not edit one file; it loads the same addon.
import { addonPath } from './paths';

interface NftAddon {
  nftRun(commands: string, json: boolean): string;
  reservePort(proto: string, address: string, port: number): { fd: number; port: number };
}

let addon: NftAddon | undefined;

function load(): NftAddon {
  if (addon === undefined) {
    const req: NodeJS.Require = require;
    addon = req(addonPath()) as NftAddon;
  }
  return addon;
}

/**
 * Runs an nft script (text, or JSON when it starts with '{') as one netlink
 * transaction: all of it applies or none of it. Returns what nft printed
 * (JSON when `json`). Throws an Error (code 'ENFT') whose message is
 * libnftables' own text.
 */
export function nftRun(commands: string, json = false): string {
  return load().nftRun(commands, json);
}

/**
 * Binds (never listens) a socket on address:port so nothing else gets the port
 * while the fd is open (close it with fs.closeSync to release). IPv6 sockets are
 * V6ONLY. port 0 lets the kernel pick; the port bound is returned. Throws a
 * Node-style system error (code 'EADDRINUSE', syscall 'bind', …).
 */
export function reservePort(proto: 'tcp' | 'udp' | 'sctp', address: string, port: number): { fd: number; port: number } {
  return load().reservePort(proto, address, port);
}
