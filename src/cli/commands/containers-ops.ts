// The container commands that need no hijack: stop, kill, restart, rm, wait,
// rename, top, diff, export, port, prune, logs and inspect (which also guesses
// the object's type, as the top-level `docker inspect` does).
import { pipeline } from 'node:stream/promises';
import type { ContainerInspect, ContainerPruneResponse, ContainerTopResponse, ContainerWaitResponse, FilesystemChange } from '../../api/containers';
import { versionAtLeast } from '../../api/version';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { DaemonError, errorMessage } from '../client';
import { humanSize, renderInspect, tabwrite } from '../format';
import { StdDemuxer } from '../stdcopy';
import { exitOnClosedOutput } from './containers-io';
import { checkOutputPath, writeOutput } from './file-io';
import { filterArgs } from './containers-list';
import { apiTimestamp } from './containers-units';

/** The text docker prints for an error: a daemon's answer is prefixed "Error response from daemon: ". */
export function errorText(err: unknown): string {
  if (err instanceof DaemonError) return `Error response from daemon: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** stop and restart send `signal` only from API 1.42 on, as docker does. */
async function signalQuery(cli: Cli, signal: string | undefined): Promise<string | undefined> {
  return signal && versionAtLeast(await cli.client.apiVersion(), '1.42') ? signal : undefined;
}

/** docker's pattern for commands on several containers: names printed on success, errors joined at the end. */
export async function eachContainer(cli: Cli, names: string[], op: (name: string) => Promise<void>, tolerate?: (err: unknown) => boolean): Promise<void> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await op(name);
      cli.out(`${name}\n`);
    } catch (err) {
      if (tolerate?.(err)) cli.err(`${errorText(err)}\n`);
      else errors.push(errorText(err));
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'));
}

/** `stop` and `restart`: the same flags, the same query, another endpoint. */
export function stopOrRestart(action: 'stop' | 'restart') {
  return async (cli: Cli, names: string[], o: { timeout?: number; signal?: string }): Promise<void> => {
    const signal = await signalQuery(cli, o.signal);
    await eachContainer(cli, names, async (name) => void (await cli.client.json('POST', `/containers/${name}/${action}`, { query: { signal, t: o.timeout } })));
  };
}

export async function kill(cli: Cli, names: string[], o: { signal?: string }): Promise<void> {
  await eachContainer(cli, names, async (name) => void (await cli.client.json('POST', `/containers/${name}/kill`, { query: { signal: o.signal || undefined } })));
}

export async function remove(cli: Cli, names: string[], o: { force?: boolean; volumes?: boolean; link?: boolean }): Promise<void> {
  await eachContainer(
    cli,
    names,
    async (name) => {
      const id = name.replace(/^\/+|\/+$/g, '');
      if (id === '') throw new Error('container name cannot be empty');
      await cli.client.json('DELETE', `/containers/${id}`, { query: { force: o.force ? '1' : undefined, link: o.link ? '1' : undefined, v: o.volumes ? '1' : undefined } });
    },
    // With --force a container already gone is no failure.
    (err) => o.force === true && err instanceof DaemonError && err.status === 404,
  );
}

export async function wait(cli: Cli, names: string[]): Promise<void> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      const { body } = await cli.client.json<ContainerWaitResponse>('POST', `/containers/${name}/wait`);
      cli.out(`${body.StatusCode}\n`);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'));
}

export async function rename(cli: Cli, oldName: string, newName: string): Promise<void> {
  const from = oldName.trim();
  const to = newName.trim();
  if (!from || !to) throw new CliError('Error: Neither old nor new names may be empty');
  try {
    await cli.client.json('POST', `/containers/${from}/rename`, { query: { name: to } });
  } catch (err) {
    cli.err(`${errorText(err)}\n`);
    throw new CliError(`Error: failed to rename container named ${from}`);
  }
}

export async function top(cli: Cli, name: string, psArgs: string[]): Promise<void> {
  const res = await cli.client.get<ContainerTopResponse>(`/containers/${name}/top`, { ps_args: psArgs.length ? psArgs.join(' ') : undefined });
  const lines = [res.Titles.join('\t'), ...(res.Processes ?? []).map((p) => p.join('\t'))];
  cli.out(`${tabwrite(lines.join('\n'), 20, 3)}\n`);
}

export async function diff(cli: Cli, name: string): Promise<void> {
  const changes = (await cli.client.get<FilesystemChange[] | null>(`/containers/${name}/changes`)) ?? [];
  cli.out(changes.map((c) => `${'CAD'[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
}

export async function exportContainer(cli: Cli, name: string, o: { output?: string }): Promise<void> {
  if (!o.output && process.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  if (o.output) await checkOutputPath(o.output, 'failed to export container');
  const res = await cli.client.stream('GET', `/containers/${name}/export`);
  if (o.output) await writeOutput(res.body, o.output, 'failed to export container');
  else await quietOnClosedPipe(pipeline(res.body, process.stdout));
}

/** A reader that went away (`export … | head`) ends the command quietly, as SIGPIPE ends docker's. */
async function quietOnClosedPipe(done: Promise<void>): Promise<void> {
  try {
    await done;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Go's sortorder.NaturalLess (digits before other bytes, numbers by value) as a comparator. */
export function naturalCompare(a: string, b: string): number {
  const x = Buffer.from(a), y = Buffer.from(b);
  let i = 0, j = 0;
  while (i < x.length && j < y.length) {
    const d1 = isDigit(x[i]!), d2 = isDigit(y[j]!);
    if (d1 !== d2) return d1 ? -1 : 1;
    if (!d1) {
      if (x[i] !== y[j]) return x[i]! - y[j]!;
      i++, j++;
      continue;
    }
    while (i < x.length && x[i] === 48) i++;
    while (j < y.length && y[j] === 48) j++;
    const nz1 = i, nz2 = j;
    while (i < x.length && isDigit(x[i]!)) i++;
    while (j < y.length && isDigit(y[j]!)) j++;
    if (i - nz1 !== j - nz2) return i - nz1 - (j - nz2);
    const n1 = x.subarray(nz1, i).toString(), n2 = y.subarray(nz2, j).toString();
    if (n1 !== n2) return n1 < n2 ? -1 : 1;
    if (nz1 !== nz2) return nz1 - nz2;
  }
  return x.length - i - (y.length - j);
}

/** strconv.ParseUint(s, 10, 16)'s error, or undefined when s is a port number. */
function parseUint16Error(s: string): string | undefined {
  if (!/^\d+$/.test(s)) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`;
  return Number(s) > 65535 ? `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range` : undefined;
}

export async function port(cli: Cli, name: string, privatePort: string | undefined): Promise<void> {
  const c = await cli.client.get<ContainerInspect>(`/containers/${name}/json`);
  const ports = c.NetworkSettings?.Ports ?? {};
  const join = (ip: string, p: string) => (ip.includes(':') ? `[${ip}]:${p}` : `${ip}:${p}`);
  const out: string[] = [];
  if (privatePort !== undefined) {
    const [num = '', proto = 'tcp'] = privatePort.split('/');
    const bad = parseUint16Error(num);
    if (bad !== undefined) throw new CliError(`Error: invalid port (${num}): ${bad}`);
    const key = `${num}/${proto || 'tcp'}`;
    const frontends = ports[key];
    if (!frontends?.length) throw new CliError(`Error: No public port '${privatePort}' published for ${name}`);
    for (const f of frontends) out.push(join(f.HostIp, f.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports)) for (const f of frontends ?? []) out.push(`${from} -> ${join(f.HostIp, f.HostPort)}`);
  }
  if (out.length) cli.out(`${out.sort(naturalCompare).join('\n')}\n`);
}

/** One line from stdin (the prompt's answer); EOF answers "". */
function readLine(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const stdin = process.stdin;
    const done = () => {
      stdin.off('data', onData).off('end', done).off('error', done);
      stdin.pause();
      resolve(text.split('\n')[0]!);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) done();
    };
    stdin.on('data', onData).on('end', done).on('error', done);
  });
}

/** docker's prompt before a prune: the warning, then true only for a "y" answer. */
export async function confirmed(cli: Cli, warning: string): Promise<boolean> {
  cli.out(`WARNING! ${warning}\nAre you sure you want to continue? [y/N] `);
  return /^y$/i.test((await readLine()).trim());
}

export async function prune(cli: Cli, o: { force?: boolean; filter?: string[] }): Promise<void> {
  if (!o.force && !(await confirmed(cli, 'This will remove all stopped containers.'))) return;
  const { body } = await cli.client.json<ContainerPruneResponse>('POST', '/containers/prune', { query: { filters: filterArgs(o.filter) } });
  const deleted = body.ContainersDeleted ?? [];
  if (deleted.length) cli.out(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
  cli.out(`Total reclaimed space: ${humanSize(body.SpaceReclaimed)}\n`);
}

export interface LogsOptions { details?: boolean; follow?: boolean; since?: string; tail?: string; timestamps?: boolean; until?: string }

export async function logs(cli: Cli, name: string, o: LogsOptions): Promise<void> {
  const c = await cli.client.get<ContainerInspect>(`/containers/${name}/json`);
  const stamp = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    try {
      return apiTimestamp(v);
    } catch (err) {
      throw new CliError(`invalid value for ${JSON.stringify(flag)}: ${(err as Error).message}`);
    }
  };
  const res = await cli.client.stream('GET', `/containers/${c.Id}/logs`, {
    query: {
      details: o.details ? '1' : undefined,
      follow: o.follow ? '1' : undefined,
      since: stamp('since', o.since),
      stderr: '1',
      stdout: '1',
      tail: o.tail ?? 'all',
      timestamps: o.timestamps ? '1' : undefined,
      until: stamp('until', o.until),
    },
  });
  if (c.Config.Tty) {
    await quietOnClosedPipe(pipeline(res.body, process.stdout, { end: false }));
    return;
  }
  exitOnClosedOutput();
  const demux = new StdDemuxer((b) => void process.stdout.write(b), (b) => void process.stderr.write(b));
  for await (const chunk of res.body) demux.push(chunk as Buffer);
}

/** Go's json.Indent: the daemon's own JSON text re-indented, every token kept as sent. */
export function indentJson(raw: string, indent = '    '): string {
  let out = '';
  let depth = 0;
  let inString = false;
  const newline = () => `\n${indent.repeat(depth)}`;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += raw[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '{' || c === '[') {
      const next = raw.slice(i + 1).trimStart()[0];
      if (next === (c === '{' ? '}' : ']')) {
        out += c === '{' ? '{}' : '[]';
        i = raw.indexOf(next, i + 1);
        continue;
      }
      depth++;
      out += c + newline();
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') out += c + newline();
    else if (c === ':') out += ': ';
    else out += c;
  }
  return out;
}

const INSPECT_TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

/** Where each object type is inspected; the order is docker's guessing order. */
const INSPECT_PATHS: Record<string, (name: string) => string> = {
  container: (n) => `/containers/${n}/json`,
  image: (n) => `/images/${n}/json`,
  network: (n) => `/networks/${n}`,
  volume: (n) => `/volumes/${n}`,
  plugin: (n) => `/plugins/${n}/json`,
};

/** The raw JSON of one object, or undefined when the daemon has no such object. */
async function inspectRaw(cli: Cli, type: string, name: string, size: boolean): Promise<string | undefined> {
  const path = INSPECT_PATHS[type];
  if (!path) throw new CliError(`Error: inspecting ${type} objects is not supported`);
  const res = await cli.client.raw('GET', path(name), { query: { size: type === 'container' && size ? '1' : undefined } });
  const text = await res.body.text();
  if (res.statusCode === 404 || res.statusCode === 501) {
    if (type !== 'image' && type !== 'container') return undefined;
    throw new DaemonError(404, errorMessage(text, 404));
  }
  if (res.statusCode >= 400) throw new DaemonError(res.statusCode, errorMessage(text, res.statusCode));
  return text;
}

/** `inspect` (type guessed or --type) and `container inspect`: JSON array of the daemon's objects, or a template each. */
export async function inspect(cli: Cli, names: string[], o: { format?: string; size?: boolean; type?: string }): Promise<void> {
  if (o.type !== undefined && !INSPECT_TYPES.includes(o.type)) {
    throw new CliError(`unknown type: ${JSON.stringify(o.type)}: must be one of ${INSPECT_TYPES.map((t) => JSON.stringify(t)).join(', ')}`);
  }
  const found: string[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      const raw = o.type ? await inspectTyped(cli, o.type, name, o.size === true) : await inspectGuessed(cli, name, o.size === true);
      if (raw === undefined) errors.push(`Error: No such object: ${name}`);
      else found.push(raw.trim());
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  if (o.format === 'json') cli.out(`[${found.join(',')}]\n`);
  else if (o.format) errors.push(...renderInspect(cli, o.format, found.map((raw) => JSON.parse(raw) as unknown)));
  else cli.out(found.length ? `${indentJson(`[${found.join(',')}]`)}\n` : '[]\n');
  if (errors.length) throw new CliError(errors.join('\n'));
}

async function inspectTyped(cli: Cli, type: string, name: string, size: boolean): Promise<string> {
  const raw = await inspectRaw(cli, type, name, size);
  if (raw === undefined) throw new DaemonError(404, `No such ${type}: ${name}`);
  return raw;
}

async function inspectGuessed(cli: Cli, name: string, size: boolean): Promise<string | undefined> {
  for (const type of Object.keys(INSPECT_PATHS)) {
    try {
      const raw = await inspectRaw(cli, type, name, size);
      if (raw !== undefined) return raw;
    } catch (err) {
      // Not this type (501: a daemon without that kind of object).
      if (!(err instanceof DaemonError && (err.status === 404 || err.status === 501))) throw err;
    }
  }
  return undefined;
}
