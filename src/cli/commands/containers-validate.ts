// The values docker's CLI checks itself before asking the daemon (its opts
// package): each throws docker's message, which the flag layer prints as
// `invalid argument "bogus" for "--dns" flag: …` (exit 125, nothing created).
import { isIP } from 'node:net';

/** opts.ValidateIPAddress. */
export function validateIp(v: string): string {
  const ip = v.trim();
  if (isIP(ip) === 0) throw new Error(`IP address is not correctly formatted: ${v}`);
  return ip;
}

/** opts.ValidateExtraHost: `host:ip` or `host=ip` (ip may be [bracketed] or host-gateway), sent as `host:ip`. */
export function validateExtraHost(v: string): string {
  let sep = v.indexOf('=');
  if (sep < 0) sep = v.indexOf(':');
  const host = sep < 0 ? '' : v.slice(0, sep);
  if (sep < 0 || host === '' || host.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(v)}`);
  let ip = v.slice(sep + 1);
  if (ip !== 'host-gateway') {
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (isIP(ip.trim()) === 0) throw new Error(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  return `${host}:${ip}`;
}

const SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** opts.ValidateSysctl: the namespaced ones only (net.*, fs.mqueue.*, the IPC kernel.* set). */
export function validateSysctl(v: string): string {
  const parts = v.split('=');
  const key = parts[0]!;
  if (parts.length >= 2 && (SYSCTLS.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.'))) return v;
  throw new Error(`sysctl '${v}' is not allowed`);
}

/** opts.ValidateEnv's check: a variable needs a name. */
export function validateEnv(v: string): string {
  const eq = v.indexOf('=');
  if ((eq < 0 ? v : v.slice(0, eq)) === '') throw new Error(`invalid environment variable: ${v}`);
  return v;
}

/** logrus.ParseLevel's names, for the global --log-level. */
export const LOG_LEVELS = new Set(['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace']);
