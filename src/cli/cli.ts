// What every CLI command gets: the global options, a lazily created API client,
// and docker's error conventions (messages and exit codes).
import { writeSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiClient, ConnectError, DaemonError } from './client';
import { CliError } from './cli-error';
import { resolveEndpoint, type Endpoint, type EndpointFlags } from './endpoint';

export interface GlobalOptions extends EndpointFlags {
  debug?: boolean;
  logLevel?: string;
}

export { CliError } from './cli-error';

export class Cli {
  private apiClient: ApiClient | undefined;
  private resolved: Endpoint | undefined;

  constructor(private readonly globals: () => GlobalOptions) {}

  /** The daemon and how to reach it: a context, or -H/TSDOCKER_HOST/DOCKER_HOST with the TLS flags (endpoint.ts). */
  get endpoint(): Endpoint {
    this.resolved ??= resolveEndpoint(this.flags);
    return this.resolved;
  }

  get host(): string {
    return this.endpoint.host;
  }

  /** The global flags (-H, --context, the TLS ones, --config…). */
  get flags(): GlobalOptions {
    return this.globals();
  }

  /** --config: the client's config directory (docker contexts live there). */
  get configFlag(): string | undefined {
    return this.globals().config;
  }

  get debug(): boolean {
    return this.globals().debug === true;
  }

  get client(): ApiClient {
    this.apiClient ??= new ApiClient(this.host, this.endpoint.tls);
    return this.apiClient;
  }

  /**
   * Starts the API version handshake (the ping) with a daemon on a local
   * socket before the command asks for it, so that its round trip overlaps
   * the command's own set-up (run's hundred flags); resolves after one turn
   * of the event loop, in which the connection completes and the ping goes
   * out. Errors are the command's to meet: it asks again, as it would have.
   */
  prefetchVersion(): Promise<void> | undefined {
    let client: ApiClient;
    try {
      client = this.client;
    } catch {
      return undefined;
    }
    if (!client.host.startsWith('unix://')) return undefined;
    client.apiVersion().catch(() => undefined);
    return new Promise((resolve) => setImmediate(resolve));
  }

  out(text: string): void {
    writeOut(text);
  }

  err(text: string): void {
    process.stderr.write(text);
  }

  async close(): Promise<void> {
    await this.apiClient?.close();
  }
}

/** File descriptors whose writes went over to their stream (a non-blocking one was full): in order from then on. */
const streamed = new Set<number>();

/**
 * Writes to stdout (1) or stderr (2) with write(2) itself: process.stdout is
 * a stream object whose making loads node:stream (and node:net for a terminal
 * or a pipe), ~5 ms that a command like `ps` needs for nothing else. Output
 * stays in order with the streams' own writes (synchronous on Linux for
 * files, pipes and terminals); a non-blocking descriptor that is full hands
 * the rest, and all later output, to the stream. Returns false when the
 * reader has gone (EPIPE).
 */
export function writeFd(fd: 1 | 2, text: string | Buffer): boolean {
  const stream = () => (fd === 1 ? process.stdout : process.stderr);
  let buf = typeof text === 'string' ? Buffer.from(text) : text;
  if (streamed.has(fd)) {
    stream().write(buf);
    return true;
  }
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return false;
      if (code !== 'EAGAIN') throw err;
      streamed.add(fd);
      stream().write(buf);
      return true;
    }
  }
  return true;
}

/** Writes to stdout (see writeFd); a reader that went away (`tsdocker ps | head -1`) gets nothing more. */
export function writeOut(text: string | Buffer): void {
  writeFd(1, text);
}

/** Prints an error as docker does and returns the exit status to use. */
export function reportError(err: unknown, commandPrefix = ''): number {
  if (err instanceof DaemonError) {
    process.stderr.write(`${commandPrefix}Error response from daemon: ${err.message}\n`);
    return 1;
  }
  if (err instanceof ConnectError) {
    process.stderr.write(`${commandPrefix}${err.message}\n`);
    return 1;
  }
  if (err instanceof CliError) {
    if (err.message) process.stderr.write(`${commandPrefix}${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`${commandPrefix}${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

/**
 * docker's words for commander's "unknown command" error, at the top level or
 * in a group (`container nosuch`); undefined for any other error text.
 */
export function unknownCommand(cmd: Command, errorText: string): string | undefined {
  const name = /^error: unknown command '(.*)'/.exec(errorText)?.[1];
  if (name === undefined) return undefined;
  const path: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) path.unshift(c.name());
  const where = path.join(' ');
  // docker prints the group's Use: its name, and what it sets itself (volume's "COMMAND").
  const own = cmd.usage();
  const usage = cmd.parent ? `\nUsage:  ${where}${/\[options\]|\[command\]/.test(own) ? '' : ` ${own}`}\n` : '';
  return `tsdocker: unknown command: ${where} ${name}\n${usage}\nRun '${where} --help' for more information\n`;
}
