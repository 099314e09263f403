// `network create|ls|inspect|rm|connect|disconnect|prune` as docker CLI 28
// has them: its flags, request bodies (keys in Go's order, maps sorted), output
// and errors.
import type { Command } from 'commander';
import { goTimeString } from '../../api/time';
import { versionAtLeast } from '../../api/version';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { DaemonError } from '../client';
import { renderList, renderOne, shortId } from '../format';
import { filterArgs, filterFlag } from './containers-list';
import { confirmed, errorText, indentJson } from './containers-ops';
import { enableGoFlags } from './containers-flags';
import { collect } from './containers-opts';
import { ipamConfigs } from './network-ipam';

interface NetworkSummary {
  Name: string;
  Id: string;
  Created?: string;
  Scope?: string;
  Driver?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

/** cobra's argument-count errors as docker words them (exit 1). */
function checkArgs(cmd: string, usage: string, args: string[], rule: 'exact1' | 'exact2' | 'min1' | 'none'): void {
  const where = `tsdocker network ${cmd}`;
  const tail = `\n\nUsage:  ${where} ${usage}\n\n`;
  if (rule === 'none' && args.length) throw new CliError(`tsdocker: '${where}' accepts no arguments${tail}Run '${where} --help' for more information`);
  if (rule === 'min1' && args.length < 1) throw new CliError(`tsdocker: '${where}' requires at least 1 argument${tail}See '${where} --help' for more information`);
  const want = rule === 'exact1' ? 1 : rule === 'exact2' ? 2 : undefined;
  if (want !== undefined && args.length !== want) throw new CliError(`tsdocker: '${where}' requires ${want} argument${want > 1 ? 's' : ''}${tail}Run '${where} --help' for more information`);
}

/** A Go map[string]string from k=v flags (a bare key maps to ""), keys sorted. */
function kvMap(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    out[eq < 0 ? item : item.slice(0, eq)] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

interface CreateOptions {
  driver: string; scope?: string; ipv4?: boolean; ipv6?: boolean; subnet?: string[]; ipRange?: string[]; gateway?: string[];
  auxAddress?: string[]; ipamDriver: string; ipamOpt?: string[]; internal?: boolean; attachable?: boolean; ingress?: boolean;
  configOnly?: boolean; configFrom?: string; opt?: string[]; label?: string[];
}

async function create(cli: Cli, args: string[], o: CreateOptions, changed: (flag: string) => boolean): Promise<void> {
  checkArgs('create', '[OPTIONS] NETWORK', args, 'exact1');
  let config;
  try {
    const aux = Object.entries(kvMap(o.auxAddress));
    config = ipamConfigs({ subnets: o.subnet ?? [], ranges: o.ipRange ?? [], gateways: o.gateway ?? [], aux });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const body = {
    Driver: o.driver,
    Scope: o.scope ?? '',
    ...(changed('ipv4') ? { EnableIPv4: o.ipv4 !== false } : {}),
    ...(changed('ipv6') ? { EnableIPv6: o.ipv6 === true } : {}),
    IPAM: { Driver: o.ipamDriver, Options: kvMap(o.ipamOpt), Config: config },
    Internal: o.internal === true,
    Attachable: o.attachable === true,
    Ingress: o.ingress === true,
    ConfigOnly: o.configOnly === true,
    ConfigFrom: o.configFrom ? { Network: o.configFrom } : null,
    Options: kvMap(o.opt),
    Labels: kvMap(o.label),
    Name: args[0]!,
    // The Go client asks daemons before API 1.44 to refuse a duplicate name (their default is to allow it).
    ...(versionAtLeast(await cli.client.apiVersion(), '1.44') ? {} : { CheckDuplicate: true }),
  };
  const { body: res } = await cli.client.json<{ Id: string; Warning?: string }>('POST', '/networks/create', { body });
  if (res.Warning) cli.err(`${res.Warning}\n`);
  cli.out(`${res.Id}\n`);
}

/** sortorder.NaturalLess: digit runs compared as numbers. */
function naturalLess(a: string, b: string): number {
  const split = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    if (p === q) continue;
    if (/^\d/.test(p) && /^\d/.test(q) && Number(p) !== Number(q)) return Number(p) - Number(q);
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/** Go's time.Time.String() of an RFC 3339 time with its nanoseconds (trailing zeros dropped). */
function createdAt(rfc: string | undefined): string {
  if (!rfc) return '0001-01-01 00:00:00 +0000 UTC';
  const frac = /\.(\d+)/.exec(rfc)?.[1]?.replace(/0+$/, '') ?? '';
  const plain = goTimeString(Math.floor(Date.parse(rfc) / 1000));
  return frac ? plain.replace(/^(\S+ \d\d:\d\d:\d\d)/, `$1.${frac}`) : plain;
}

function row(n: NetworkSummary, trunc: boolean): Record<string, string> {
  return {
    CreatedAt: createdAt(n.Created),
    Driver: n.Driver ?? '',
    ID: trunc ? shortId(n.Id) : n.Id,
    IPv4: String(n.EnableIPv4 ?? false),
    IPv6: String(n.EnableIPv6 ?? false),
    Internal: String(n.Internal ?? false),
    Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).sort().join(','),
    Name: n.Name,
    Scope: n.Scope ?? '',
  };
}

async function list(cli: Cli, args: string[], o: { filter?: string[]; format?: string; quiet?: boolean; trunc?: boolean }): Promise<void> {
  checkArgs('ls', '[OPTIONS]', args, 'none');
  const nets = await cli.client.get<NetworkSummary[]>('/networks', { filters: filterArgs(o.filter) });
  nets.sort((a, b) => naturalLess(a.Name, b.Name));
  const rows = nets.map((n) => row(n, o.trunc !== false));
  cli.out(
    renderList(o.quiet ? '{{.ID}}' : o.format, {
      defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
      headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' },
      rows,
    }),
  );
}

async function inspect(cli: Cli, args: string[], o: { format?: string; verbose?: boolean }): Promise<void> {
  checkArgs('inspect', '[OPTIONS] NETWORK [NETWORK...]', args, 'min1');
  const found: string[] = [];
  const errors: string[] = [];
  for (const name of args) {
    const res = await cli.client.raw('GET', `/networks/${encodeURIComponent(name)}`, { query: { verbose: o.verbose ? 'true' : undefined } });
    const text = await res.body.text();
    if (res.statusCode >= 400) errors.push(errorText(new DaemonError(res.statusCode, errorMessageOf(text, res.statusCode))));
    else found.push(text.trim());
  }
  if (o.format) cli.out(found.map((raw) => renderOne(o.format!, JSON.parse(raw))).join(''));
  else cli.out(found.length ? `${indentJson(`[${found.join(',')}]`)}\n` : '[]\n');
  if (errors.length) throw new CliError(errors.join('\n'));
}

function errorMessageOf(text: string, status: number): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // plain text
  }
  return text.trim() || `status ${status}`;
}

async function remove(cli: Cli, args: string[], o: { force?: boolean }): Promise<void> {
  checkArgs('rm', 'NETWORK [NETWORK...]', args, 'min1');
  let failed = false;
  for (const name of args) {
    try {
      await cli.client.raw('GET', `/networks/${encodeURIComponent(name)}`).then((r) => r.body.dump());
      await cli.client.json('DELETE', `/networks/${encodeURIComponent(name)}`);
      cli.out(`${name}\n`);
    } catch (err) {
      if (o.force && err instanceof DaemonError && err.status === 404) continue;
      cli.err(`${errorText(err as Error)}\n`);
      failed = true;
    }
  }
  if (failed) throw new CliError('exit status 1');
}

interface ConnectOptions { ip?: string; ip6?: string; alias?: string[]; link?: string[]; linkLocalIp?: string[]; driverOpt?: string[]; gwPriority?: string }

async function connect(cli: Cli, args: string[], o: ConnectOptions): Promise<void> {
  checkArgs('connect', '[OPTIONS] NETWORK CONTAINER', args, 'exact2');
  const [network, container] = args as [string, string];
  if (o.gwPriority !== undefined && !/^[+-]?\d+$/.test(o.gwPriority)) throw new CliError(`invalid argument ${JSON.stringify(o.gwPriority)} for "--gw-priority" flag: strconv.ParseInt: parsing ${JSON.stringify(o.gwPriority)}: invalid syntax`, 125);
  const EndpointConfig = {
    IPAMConfig: { ...(o.ip ? { IPv4Address: o.ip } : {}), ...(o.ip6 ? { IPv6Address: o.ip6 } : {}), ...(o.linkLocalIp?.length ? { LinkLocalIPs: o.linkLocalIp } : {}) },
    Links: o.link?.length ? o.link : null,
    Aliases: o.alias ?? [],
    MacAddress: '',
    DriverOpts: kvMap(o.driverOpt),
    GwPriority: Number(o.gwPriority ?? 0),
    NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
  await cli.client.json('POST', `/networks/${encodeURIComponent(network)}/connect`, { body: { Container: container, EndpointConfig } });
}

async function disconnect(cli: Cli, args: string[], o: { force?: boolean }): Promise<void> {
  checkArgs('disconnect', '[OPTIONS] NETWORK CONTAINER', args, 'exact2');
  const [network, container] = args as [string, string];
  await cli.client.json('POST', `/networks/${encodeURIComponent(network)}/disconnect`, { body: { Container: container, Force: o.force === true } });
}

async function prune(cli: Cli, args: string[], o: { force?: boolean; filter?: string[] }): Promise<void> {
  checkArgs('prune', '[OPTIONS]', args, 'none');
  if (!o.force && !(await confirmed(cli, 'This will remove all custom networks not used by at least one container.'))) return;
  const { body } = await cli.client.json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: { filters: filterArgs(o.filter) } });
  const deleted = body?.NetworksDeleted ?? [];
  if (deleted.length) cli.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
}

/** `network create` and its flags (pflag's --ipv4=false / --ipv6=false forms too). */
function defineCreate(net: Command, cli: Cli): void {
  const changedIn = (cmd: Command) => (flag: string) => cmd.getOptionValueSource(flag) === 'cli';
  const createCmd = net.command('create').description('Create a network').usage('[OPTIONS] NETWORK').argument('[NETWORK...]');
  createCmd
    .option('--attachable', 'Enable manual container attachment')
    .option('--aux-address <map>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver (default map[])', collect)
    .option('--config-from <string>', 'The network from which to copy the configuration')
    .option('--config-only', 'Create a configuration only network')
    .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
    .option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', collect)
    .option('--ingress', 'Create swarm routing-mesh network')
    .option('--internal', 'Restrict external access to the network')
    .option('--ip-range <strings>', 'Allocate container ip from a sub-range', collect)
    .option('--ipam-driver <string>', 'IP Address Management Driver', 'default')
    .option('--ipam-opt <map>', 'Set IPAM driver specific options (default map[])', collect)
    .option('--ipv4', 'Enable or disable IPv4 address assignment (default true)')
    .option('--ipv6', 'Enable or disable IPv6 address assignment')
    .option('--label <list>', 'Set metadata on a network', collect)
    .option('-o, --opt <map>', 'Set driver specific options (default map[])', collect)
    .option('--scope <string>', "Control the network's scope")
    .option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', collect)
    .action((args: string[], o: CreateOptions) => create(cli, args, o, changedIn(createCmd)));
  enableGoFlags(createCmd, true);
}

export function registerNetwork(program: Command, cli: Cli): void {
  const net = program.command('network').description('Manage networks');
  defineCreate(net, cli);
  net
    .command('ls')
    .alias('list')
    .description('List networks')
    .usage('[OPTIONS]')
    .argument('[ARGS...]')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', filterFlag)
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', 'Do not truncate the output')
    .option('-q, --quiet', 'Only display network IDs')
    .action((args: string[], o: { filter?: string[]; format?: string; quiet?: boolean; trunc?: boolean }) => list(cli, args, o));
  net
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .usage('[OPTIONS] NETWORK [NETWORK...]')
    .argument('[NETWORK...]')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Verbose output for diagnostics')
    .action((args: string[], o: { format?: string; verbose?: boolean }) => inspect(cli, args, o));
  net
    .command('rm')
    .alias('remove')
    .description('Remove one or more networks')
    .usage('NETWORK [NETWORK...]')
    .argument('[NETWORK...]')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action((args: string[], o: { force?: boolean }) => remove(cli, args, o));
  net
    .command('connect')
    .description('Connect a container to a network')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .argument('[ARGS...]')
    .option('--alias <strings>', 'Add network-scoped alias for the container', collect)
    .option('--driver-opt <strings>', 'driver options for the network', collect)
    .option('--gw-priority <int>', 'Highest gw-priority provides the default gateway. Accepts positive and negative values.')
    .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")')
    .option('--ip6 <string>', 'IPv6 address (e.g., "2001:db8::33")')
    .option('--link <list>', 'Add link to another container', collect)
    .option('--link-local-ip <strings>', 'Add a link-local address for the container', collect)
    .action((args: string[], o: ConnectOptions) => connect(cli, args, o));
  net
    .command('disconnect')
    .description('Disconnect a container from a network')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .argument('[ARGS...]')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action((args: string[], o: { force?: boolean }) => disconnect(cli, args, o));
  net
    .command('prune')
    .description('Remove all unused networks')
    .usage('[OPTIONS]')
    .argument('[ARGS...]')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', filterFlag)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action((args: string[], o: { force?: boolean; filter?: string[] }) => prune(cli, args, o));
}
