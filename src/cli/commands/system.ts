// version, info, system info, system df.
import type { Command } from 'commander';
import { dfVerbose } from './system-df';
import type { SystemDataUsage, SystemInfo, SystemVersion } from '../../api/types';
import { API_VERSION, ENGINE_VERSION, TSDOCKER_VERSION } from '../../api/version';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { bytesSize, checkTemplate, humanSize, renderList, renderOne, tabwrite } from '../format';
import { goType, infoValue } from '../gotemplate/types';
import { filterFlag } from './containers-list';
import { registerDialStdio } from './dial-stdio';
import { events, type EventsOptions } from './events';
import { definePrune } from './system-prune';

interface ClientVersion {
  Platform: { Name: string };
  Version: string;
  ApiVersion: string;
  DefaultAPIVersion: string;
  GoVersion: string;
  GitCommit: string;
  BuildTime: string;
  Os: string;
  Arch: string;
  Context: string;
}

/** Go's time.ANSIC in local time (`Fri May 30 12:07:14 2025`), as docker's version prints Built; text that is no time stays. */
export function ansic(time: string): string {
  const d = new Date(time);
  if (!time || Number.isNaN(d.getTime())) return time;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number) => String(n).padStart(2, '0');
  const clock = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${clock} ${d.getFullYear()}`;
}

/** When this CLI was built: its bundle's time. */
function cliBuildTime(): string {
  try {
    return ansic(process.getBuiltinModule('node:fs').statSync(__filename).mtime.toISOString());
  } catch {
    return '';
  }
}

function clientVersion(apiVersion: string): ClientVersion {
  return {
    Platform: { Name: '' },
    Version: ENGINE_VERSION,
    ApiVersion: apiVersion,
    DefaultAPIVersion: API_VERSION,
    GoVersion: `node${process.versions.node}`,
    GitCommit: `tsdocker-${TSDOCKER_VERSION}`,
    BuildTime: cliBuildTime(),
    Os: 'linux',
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    Context: 'default',
  };
}

function clientSection(c: ClientVersion): string {
  const downgraded = c.ApiVersion !== c.DefaultAPIVersion ? ` (downgraded from ${c.DefaultAPIVersion})` : '';
  return [
    `Client:${c.Platform.Name ? ` ${c.Platform.Name}` : ''}`,
    ` Version:\t${c.Version}`,
    ` API version:\t${c.ApiVersion}${downgraded}`,
    ` Go version:\t${c.GoVersion}`,
    ` Git commit:\t${c.GitCommit}`,
    ` Built:\t${c.BuildTime}`,
    ` OS/Arch:\t${c.Os}/${c.Arch}`,
    ` Context:\t${c.Context}`,
  ].join('\n');
}

function serverSection(s: SystemVersion): string {
  const lines = [`Server:${s.Platform.Name ? ` ${s.Platform.Name}` : ''}`];
  for (const c of s.Components) {
    lines.push(` ${c.Name}:`);
    const d = c.Details ?? {};
    if (c.Name === 'Engine') {
      lines.push(
        `  Version:\t${c.Version}`,
        `  API version:\t${d['ApiVersion']} (minimum version ${d['MinAPIVersion']})`,
        `  Go version:\t${d['GoVersion']}`,
        `  Git commit:\t${d['GitCommit']}`,
        `  Built:\t${String(d['BuildTime'] ?? '')}`,
        `  OS/Arch:\t${d['Os']}/${d['Arch']}`,
        `  Experimental:\t${d['Experimental']}`,
      );
    } else {
      lines.push(`  Version:\t${c.Version}`);
      for (const key of Object.keys(d).sort()) lines.push(`  ${key}:\t${d[key]}`);
    }
  }
  return lines.join('\n');
}

async function version(cli: Cli, opts: { format?: string }): Promise<void> {
  let server: SystemVersion | undefined;
  let failure: unknown;
  let api = API_VERSION;
  try {
    api = await cli.client.apiVersion();
    server = await cli.client.get<SystemVersion>('/version');
    // docker rewrites the Engine's build time in Go's ANSIC form, for the text and the templates alike.
    const details = server.Components.find((c) => c.Name === 'Engine')?.Details;
    if (details && typeof details['BuildTime'] === 'string') details['BuildTime'] = ansic(details['BuildTime']);
  } catch (err) {
    failure = err;
  }
  const client = clientVersion(api);
  if (opts.format) {
    const data = { Client: goClientVersion(client), Server: server ?? null };
    cli.out(renderOne(opts.format, { t: goType('system.versionInfo'), v: data }, { name: 'version', errors: VERSION_ERRORS }));
  } else {
    const text = clientSection(client) + (server ? `\n\n${serverSection(server)}` : '');
    cli.out(tabwrite(text, 20, 1) + '\n');
  }
  if (failure) throw failure;
}

function infoText(cli: Cli, i: SystemInfo): string {
  const list = (items: string[], indent = '  ') => items.map((x) => `${indent}${x}`);
  const lines = [
    'Server:',
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Server Version: ${i.ServerVersion}`,
    ` Storage Driver: ${i.Driver}`,
    ...i.DriverStatus.map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    ' Plugins:',
    `  Volume: ${i.Plugins.Volume.join(' ')}`,
    `  Network: ${i.Plugins.Network.join(' ')}`,
    `  Log: ${i.Plugins.Log.join(' ')}`,
    ` Swarm: ${i.Swarm.LocalNodeState}`,
    // docker ranges over a Go map (an order of its own each time); the daemon's order is the one it shows most.
    ` Runtimes: ${Object.keys(i.Runtimes).join(' ')}`,
    ` Default Runtime: ${i.DefaultRuntime}`,
    ` Init Binary: ${i.InitBinary}`,
    ` containerd version: ${i.ContainerdCommit.ID}`,
    ` runc version: ${i.RuncCommit.ID}`,
    ` init version: ${i.InitCommit.ID}`,
    ' Security Options:',
    ...list(i.SecurityOptions.map((o) => o.replace(/^name=/, ''))),
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${bytesSize(i.MemTotal)}`,
    ` Name: ${i.Name}`,
    ` ID: ${i.ID}`,
    ` Docker Root Dir: ${i.DockerRootDir}`,
    ` Debug Mode: ${i.Debug}`,
    ...(i.Labels.length ? [' Labels:', ...list(i.Labels)] : []),
    ` Experimental: ${i.ExperimentalBuild}`,
    ' Insecure Registries:',
    ...list([...Object.values(i.RegistryConfig.IndexConfigs).filter((c) => !c.Secure).map((c) => c.Name), ...i.RegistryConfig.InsecureRegistryCIDRs]),
    ...(i.RegistryConfig.Mirrors.length ? [' Registry Mirrors:', ...list(i.RegistryConfig.Mirrors)] : []),
    ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
  ];
  return ['Client:', ` Version:    ${ENGINE_VERSION}`, ` Context:    default`, ` Debug Mode: ${Boolean(cli.debug)}`, '', ...lines, '', ''].join('\n'); // docker ends with an empty line
}

async function info(cli: Cli, opts: { format?: string }): Promise<void> {
  if (opts.format) {
    checkTemplate(opts.format, VERSION_ERRORS);
    const server = await cli.client.get<SystemInfo>('/info');
    const { ApiVersion: _api, ...rest } = goClientVersion(clientVersion(API_VERSION));
    const clientInfo = { Debug: Boolean(cli.debug), ...rest, Plugins: [], Warnings: null };
    cli.out(renderOne(opts.format, infoValue(server as unknown as Record<string, unknown>, clientInfo), { errors: VERSION_ERRORS }));
    return;
  }
  let server: SystemInfo;
  try {
    server = await cli.client.get<SystemInfo>('/info');
  } catch (err) {
    cli.out(['Client:', ` Version:    ${ENGINE_VERSION}`, ` Context:    default`, ` Debug Mode: ${Boolean(cli.debug)}`, '', 'Server:', ''].join('\n'));
    throw err;
  }
  cli.out(infoText(cli, server));
  if (server.Warnings?.length) cli.err(server.Warnings.map((w) => `${w}\n`).join(''));
}

/** version and info: a parse error is a usage error (64); an execution error is Go's own message. */
const VERSION_ERRORS = { parse: 'template parsing error: ', exec: '', parseExit: 64, execExit: 1, partialOutput: true };

/** The client's part as docker's clientVersion struct encodes it: Go's field order, empty fields left out (omitempty). */
function goClientVersion(c: ClientVersion): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['Version', 'ApiVersion', 'DefaultAPIVersion', 'GitCommit', 'GoVersion', 'Os', 'Arch', 'BuildTime'] as const) if (c[key]) out[key] = c[key];
  out['Context'] = c.Context;
  return out;
}

interface DfRow {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes)} (${Math.floor((bytes * 100) / total)}%)` : humanSize(bytes);
}

async function df(cli: Cli, opts: { format?: string; verbose?: boolean }): Promise<void> {
  if (opts.verbose) return dfVerbose(cli, opts.format);
  const du = await cli.client.get<SystemDataUsage>('/system/df');
  const activeImages = du.Images.filter((i) => i.Containers > 0);
  const imagesSize = du.LayersSize;
  const activeImagesSize = activeImages.reduce((n, i) => n + i.Size - i.SharedSize, 0);
  const containersSize = du.Containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const runningSize = du.Containers.filter((c) => c.State === 'running').reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const volumesSize = du.Volumes.reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const activeVolumes = du.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0);
  const unusedVolumesSize = du.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const cacheSize = du.BuildCache.reduce((n, b) => n + b.Size, 0);
  const rows: DfRow[] = [
    { Type: 'Images', TotalCount: String(du.Images.length), Active: String(activeImages.length), Size: humanSize(imagesSize), Reclaimable: reclaimable(imagesSize - activeImagesSize, imagesSize) },
    { Type: 'Containers', TotalCount: String(du.Containers.length), Active: String(du.Containers.filter((c) => c.State === 'running').length), Size: humanSize(containersSize), Reclaimable: reclaimable(containersSize - runningSize, containersSize) },
    { Type: 'Local Volumes', TotalCount: String(du.Volumes.length), Active: String(activeVolumes.length), Size: humanSize(volumesSize), Reclaimable: reclaimable(unusedVolumesSize, volumesSize) },
    { Type: 'Build Cache', TotalCount: String(du.BuildCache.length), Active: String(du.BuildCache.filter((b) => b.InUse).length), Size: humanSize(cacheSize), Reclaimable: humanSize(du.BuildCache.filter((b) => !b.InUse && !b.Shared).reduce((n, b) => n + b.Size, 0)) },
  ];
  cli.out(
    renderList(opts.format, {
      defaultTable: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
      headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
      context: '*formatter.diskUsageImagesContext',
      rows,
    }),
  );
}

export function registerSystem(program: Command, cli: Cli): void {
  program
    .command('version')
    .description('Show the tsdocker version information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action((opts: { format?: string }) => version(cli, opts));

  const infoCommand = (cmd: Command) =>
    cmd
      .description('Display system-wide information')
      .option('-f, --format <string>', 'Format output using a custom template')
      .action((opts: { format?: string }) => info(cli, opts));
  infoCommand(program.command('info'));

  const eventsCommand = (cmd: Command) =>
    cmd
      .description('Get real time events from the server')
      .option('-f, --filter <filter>', 'Filter output based on conditions provided', filterFlag)
      .option('--format <string>', 'Format output using a custom template')
      .option('--since <string>', 'Show all events created since timestamp')
      .option('--until <string>', 'Stream events until this timestamp')
      .action((opts: EventsOptions) => events(cli, opts));
  eventsCommand(program.command('events'));

  const system = program.command('system').description('Manage Docker');
  infoCommand(system.command('info'));
  eventsCommand(system.command('events'));
  definePrune(system.command('prune'), cli);
  registerDialStdio(system, cli);
  system
    .command('df')
    .description('Show tsdocker disk usage')
    .option('--format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Show detailed information on space usage')
    .action((opts: { format?: string; verbose?: boolean }) => df(cli, opts));
}
