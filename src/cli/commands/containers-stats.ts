// `stats` / `container stats`: one GET /containers/{id}/stats per container
// (streamed, or ?stream=0 with --no-stream), docker's figures (CPU % from the
// pre-sample, memory without the inactive file cache, summed network and block
// I/O) and its table, redrawn in place every 500 ms as docker 28 does. Without
// names it follows the container events to add started (or, with -a, created)
// containers and drop dead ones.
import type { Readable } from 'node:stream';
import type { ContainerSummary, EventMessage } from '../../api/types';
import type { BlkioStats, ContainerStatsResponse } from '../../api/resources';
import type { ApiClient } from '../client';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { bytesSize, humanSize, renderList, shortId } from '../format';
import { jsonMessages } from '../jsonstream';
import { errorText } from './containers-ops';

export interface StatsOptions {
  all?: boolean;
  format?: string;
  stream: boolean;
  trunc: boolean;
}

/** What one container's latest sample shows; `invalid` after an error (docker prints "--"). */
interface Sample {
  name: string;
  id: string;
  cpuPercent: number;
  memory: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
  invalid: boolean;
}

/** calculateCPUPercentUnix: the container's share of the host's CPU time since the pre-sample. */
function cpuPercent(s: ContainerStatsResponse): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
}

/** calculateMemUsageUnixNoCache: usage less the inactive file cache (v1's total_inactive_file, v2's inactive_file). */
function memoryUsage(m: ContainerStatsResponse['memory_stats']): number {
  const usage = m.usage ?? 0;
  const v1 = m.stats?.['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = m.stats?.['inactive_file'] ?? 0;
  return v2 < usage ? usage - v2 : usage;
}

function blockIo(b: BlkioStats): [read: number, write: number] {
  let read = 0;
  let write = 0;
  for (const e of b.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    else if (op === 'write') write += e.value;
  }
  return [read, write];
}

function sample(s: ContainerStatsResponse): Sample {
  const memory = memoryUsage(s.memory_stats);
  const memoryLimit = s.memory_stats.limit ?? 0;
  const nets = Object.values(s.networks ?? {});
  const [blockRead, blockWrite] = blockIo(s.blkio_stats);
  return {
    name: s.name,
    id: s.id,
    cpuPercent: cpuPercent(s),
    memory,
    memoryLimit,
    memoryPercent: memoryLimit ? (memory / memoryLimit) * 100 : 0,
    netRx: nets.reduce((n, x) => n + x.rx_bytes, 0),
    netTx: nets.reduce((n, x) => n + x.tx_bytes, 0),
    blockRead,
    blockWrite,
    pids: s.pids_stats.current ?? 0,
    invalid: false,
  };
}

/** One container's collector: its latest sample or error, and a promise of the first one. */
class Collector {
  latest: Sample | undefined;
  error: string | undefined;
  readonly first: Promise<void>;
  private settle!: () => void;
  private client: ApiClient | undefined;
  private stopped = false;

  constructor(readonly container: string) {
    this.first = new Promise((resolve) => (this.settle = resolve));
  }

  async run(cli: Cli, stream: boolean): Promise<void> {
    try {
      // Each stream holds its connection open: one client (connection) per container.
      this.client = await cli.client.fork();
      if (this.stopped) return void (await this.client.destroy());
      const res = await this.client.stream('GET', `/containers/${this.container}/stats`, { query: { stream } });
      for await (const message of jsonMessages<ContainerStatsResponse>(res.body)) {
        this.latest = sample(message);
        this.settle();
        if (!stream) break;
      }
    } catch (err) {
      this.error = errorText(err);
      if (this.latest) this.latest.invalid = true;
    }
    this.settle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.destroy();
  }
}

const pct = (n: number) => `${n.toFixed(2)}%`;

/** docker's stats formatter context, keys in the order its `json` prints them. */
function row(c: Collector, trunc: boolean): Record<string, string> {
  const s = c.latest;
  const bad = !s || s.invalid;
  return {
    BlockIO: bad ? '--' : `${humanSize(s.blockRead, 3)} / ${humanSize(s.blockWrite, 3)}`,
    CPUPerc: bad ? '--' : pct(s.cpuPercent),
    Container: c.container,
    ID: !s ? '' : trunc ? shortId(s.id) : s.id,
    MemPerc: bad ? '--' : pct(s.memoryPercent),
    MemUsage: bad ? '-- / --' : `${bytesSize(s.memory)} / ${bytesSize(s.memoryLimit)}`,
    Name: s && s.name.length > 1 ? s.name.slice(1) : '--',
    NetIO: bad ? '--' : `${humanSize(s.netRx, 3)} / ${humanSize(s.netTx, 3)}`,
    PIDs: bad ? '--' : String(s.pids),
  };
}

function render(format: string | undefined, collectors: Iterable<Collector>, trunc: boolean): string {
  return renderList(format, {
    defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}',
    headers: {
      Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT',
      MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
    },
    context: '*container.statsContext',
    rows: [...collectors].map((c) => row(c, trunc)),
  });
}

/** A frame as docker 28 draws it: cursor home, each line erased to its end, the rest of the screen cleared. */
function frame(text: string): string {
  return `\x1b[H${text.split('\n').map((line) => `${line} \x1b[K\n`).join('')}\x1b[J`;
}

export async function stats(cli: Cli, names: string[], o: StatsOptions): Promise<void> {
  const collectors = new Map<string, Collector>();
  const add = (container: string) => {
    if (collectors.has(container)) return;
    const c = new Collector(container);
    collectors.set(container, c);
    void c.run(cli, o.stream);
  };
  const drop = (container: string) => {
    void collectors.get(container)?.stop();
    collectors.delete(container);
  };
  let events: ApiClient | undefined;
  try {
    if (names.length) {
      names.forEach(add);
      await Promise.all([...collectors.values()].map((c) => c.first));
      const errors = [...collectors.values()].flatMap((c) => (c.error ? [c.error] : []));
      if (errors.length) throw new CliError(errors.join('\n'));
    } else {
      // Subscribed before listing, so that a container started in between is not missed.
      events = await cli.client.fork();
      const res = await events.stream('GET', '/events', { query: { filters: JSON.stringify({ type: { container: true } }) } });
      void followEvents(res.body, o.all === true, add, drop);
      const list = await cli.client.get<ContainerSummary[]>('/containers/json', o.all ? { all: true } : undefined);
      list.forEach((c) => add(c.Id.slice(0, 12)));
      await Promise.all([...collectors.values()].map((c) => c.first));
    }
    if (!o.stream) {
      if (collectors.size) cli.out(render(o.format, collectors.values(), o.trunc));
      return;
    }
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      cli.out(frame(render(o.format, collectors.values(), o.trunc)));
      if (collectors.size === 0 && names.length) return;
    }
  } finally {
    await Promise.all([...collectors.values()].map((c) => c.stop()));
    await events?.destroy();
  }
}

async function followEvents(body: Readable, all: boolean, add: (id: string) => void, drop: (id: string) => void): Promise<void> {
  try {
    for await (const e of jsonMessages<EventMessage>(body)) {
      const id = e.Actor.ID.slice(0, 12);
      if (e.Action === 'start' || (all && e.Action === 'create')) add(id);
      else if (e.Action === 'die' && !all) drop(id);
    }
  } catch {
    // the stream ends with the command
  }
}
