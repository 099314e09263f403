// The values of run's and create's network flags, parsed as the docker CLI 28's
// opts package does (--network's long syntax, --dns, --dns-search,
// --add-host, MAC addresses); containers-network.ts builds the request from them.
import { isIP } from 'node:net';

/** One --network value (opts.NetworkAttachmentOpts). */
export interface NetworkAttachment {
  target: string;
  aliases: string[];
  ipv4: string;
  ipv6: string;
  mac: string;
  driverOpts?: Record<string, string>;
  gwPriority: number;
}

/** Splits one CSV record as Go's encoding/csv does for a single line (quotes allowed). */
function csvFields(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && fieldStart) quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
      fieldStart = true;
      continue;
    } else cur += c;
    fieldStart = false;
  }
  if (quoted) throw new Error('parse error on line 1, column ' + String(value.length + 1) + ': extraneous or missing " in quoted-field');
  out.push(cur);
  return out;
}

/** opts.NetworkOpt.Set: a network name, or `name=n1,alias=a,ip=…,ip6=…,mac-address=…,driver-opt=k=v,gw-priority=N`. */
export function parseNetworkOpt(value: string): NetworkAttachment {
  const n: NetworkAttachment = { target: value, aliases: [], ipv4: '', ipv6: '', mac: '', gwPriority: 0 };
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return n;
  n.target = '';
  for (const field of csvFields(value)) {
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    if (key === 'name') n.target = val;
    else if (key === 'alias') n.aliases.push(val);
    else if (key === 'ip') n.ipv4 = val;
    else if (key === 'ip6') n.ipv6 = val;
    else if (key === 'mac-address') n.mac = val;
    else if (key === 'driver-opt') {
      const [k, v] = [val.slice(0, val.indexOf('=')), val.slice(val.indexOf('=') + 1)];
      if (!val.includes('=') || k === '') throw new Error(`invalid key value pair format in driver options`);
      (n.driverOpts ??= {})[k.trim()] = v.trim();
    } else if (key === 'gw-priority') {
      if (!/^[+-]?\d+$/.test(val)) throw new Error(`invalid gw-priority: strconv.Atoi: parsing ${JSON.stringify(val)}: invalid syntax`);
      n.gwPriority = Number(val);
    } else throw new Error(`invalid field key ${key}`);
  }
  if (n.target === '') throw new Error('network name/id is not specified');
  return n;
}

/** net.ParseIP: an IPv4 or IPv6 address, no zone. */
function isPlainIP(s: string): boolean {
  return isIP(s) !== 0 && !s.includes('%');
}

/** opts.ValidateIPAddress (--dns). */
export function parseDnsAddress(v: string): string {
  const ip = v.trim();
  if (!isPlainIP(ip)) throw new Error(`IP address is not correctly formatted: ${v}`);
  return ip;
}

/** opts.ValidateLink (--link): `name` or `name:alias`. */
export function parseLink(v: string): string {
  if (v === '') throw new Error('empty string specified for links');
  if (v.split(':').length > 2) throw new Error(`bad format for links: ${v}`);
  return v;
}

/** opts.ValidateDNSSearch: a domain (or "."), at most 255 characters. */
export function parseDnsSearch(v: string): string {
  const d = v.replace(/\.$/, '');
  if (v === '.') return v;
  if (!/^(:?(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))$/.test(d)) throw new Error(`${v} is not a valid domain`);
  if (d.length > 255) throw new Error(`domain name ${d} is too long`);
  return v;
}

/** opts.ValidateExtraHost: `host:ip` or `host=ip` (ip may be [bracketed] or host-gateway), sent as `host:ip`. */
export function parseExtraHost(v: string): string {
  let sep = v.indexOf('=');
  if (sep < 0) sep = v.indexOf(':');
  const host = sep < 0 ? '' : v.slice(0, sep);
  let ip = sep < 0 ? '' : v.slice(sep + 1);
  if (sep < 0 || host === '' || host.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(v)}`);
  if (ip !== 'host-gateway') {
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (!isPlainIP(ip)) throw new Error(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  return `${host}:${ip}`;
}

/** net.ParseMAC for the forms docker accepts (6, 8 or 20 octets, : or - separated, or dotted groups of 4). */
export function validMac(mac: string): boolean {
  return /^([0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\2[0-9A-Fa-f]{2}){4}((\2[0-9A-Fa-f]{2}){2})?((\2[0-9A-Fa-f]{2}){12})?)$/.test(mac) || /^([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4})?$/.test(mac);
}
