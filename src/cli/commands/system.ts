// version, info, system info, system df.
import type { Command } from 'commander';
import type { SystemDataUsage, SystemInfo, SystemVersion } from '../../api/types';
import { API_VERSION, ENGINE_VERSION, TSDOCKER_VERSION } from '../../api/version';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { bytesSize, humanSize, renderList, renderOne, tabwrite } from '../format';
import { filterFlag } from './containers-list';
import { registerDialStdio } from './dial-stdio';
import { events, type EventsOptions } from './events';

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

function clientVersion(apiVersion: string): ClientVersion {
  return {
    Platform: { Name: '' },
    Version: ENGINE_VERSION,
    ApiVersion: apiVersion,
    DefaultAPIVersion: API_VERSION,
    GoVersion: `node${process.versions.node}`,
    GitCommit: `tsdocker-${TSDOCKER_VERSION}`,
    BuildTime: '',
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
        `  Built:\t${d['BuildTime']}`,
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
  } catch (err) {
    failure = err;
  }
  const client = clientVersion(api);
  if (opts.format) {
    cli.out(renderOne(opts.format, { Client: client, Server: server ?? null }));
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
    ` Runtimes: ${Object.keys(i.Runtimes).sort().join(' ')}`,
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
  return ['Client:', ` Version:    ${ENGINE_VERSION}`, ` Context:    default`, ` Debug Mode: ${Boolean(cli.debug)}`, '', ...lines, ''].join('\n');
}

async function info(cli: Cli, opts: { format?: string }): Promise<void> {
  if (opts.format) {
    const server = await cli.client.get<SystemInfo>('/info');
    cli.out(renderOne(opts.format, server));
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

interface DfRow {
  Type: string;
  TotalCount: number;
  Active: number;
  Size: string;
  Reclaimable: string;
}

function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes)} (${Math.floor((bytes * 100) / total)}%)` : humanSize(bytes);
}

async function df(cli: Cli, opts: { format?: string; verbose?: boolean }): Promise<void> {
  if (opts.verbose) throw new CliError('tsdocker: "system df -v" is not supported yet');
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
    { Type: 'Images', TotalCount: du.Images.length, Active: activeImages.length, Size: humanSize(imagesSize), Reclaimable: reclaimable(imagesSize - activeImagesSize, imagesSize) },
    { Type: 'Containers', TotalCount: du.Containers.length, Active: du.Containers.filter((c) => c.State === 'running').length, Size: humanSize(containersSize), Reclaimable: reclaimable(containersSize - runningSize, containersSize) },
    { Type: 'Local Volumes', TotalCount: du.Volumes.length, Active: activeVolumes.length, Size: humanSize(volumesSize), Reclaimable: reclaimable(unusedVolumesSize, volumesSize) },
    { Type: 'Build Cache', TotalCount: du.BuildCache.length, Active: du.BuildCache.filter((b) => b.InUse).length, Size: humanSize(cacheSize), Reclaimable: humanSize(du.BuildCache.filter((b) => !b.InUse && !b.Shared).reduce((n, b) => n + b.Size, 0)) },
  ];
  cli.out(
    renderList(opts.format, {
      defaultTable: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
      headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
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

  const system = program.command('system').description('Manage tsdocker');
  infoCommand(system.command('info'));
  eventsCommand(system.command('events'));
  registerDialStdio(system, cli);
  system
    .command('df')
    .description('Show tsdocker disk usage')
    .option('--format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Show detailed information on space usage')
    .action((opts: { format?: string; verbose?: boolean }) => df(cli, opts));
}
