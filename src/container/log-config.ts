// A container's log driver (HostConfig.LogConfig), as dockerd handles it:
// checked at create (daemon/logger's ValidateLogOpts: the mode, the driver,
// the driver's option names: 400), its values read at start (each driver's
// New: "failed to initialize logging driver: …", 500), and where its log is.
//   json-file  <container dir>/<id>-json.log, rotated as FILE.1, FILE.2, …
//   local      <container dir>/local-logs/container.log, rotated as
//              container.log.<gen>, gzipped (native/src/locallog.h); Docker's
//              defaults max-size 20m, max-file 5, compress true
//   none       nothing is kept: `docker logs` is refused as dockerd does
//   syslog, journald  names and options are checked; the container does not
//              start: with dockerd's error where the host has no /dev/log or
//              journald socket, else saying tsdocker does not implement them
// Any other name is looked up as a plugin by dockerd, and not found.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LogConfig } from '../api/containers';
import { InvalidArgumentError, NotImplementedError, TsdError } from '../errors';
import type { ShimOptions } from '../native/shim-client';
import type { ContainerPaths } from './files';

/** A log the daemon can read: the current file and how it rotates. */
export interface LogSource {
  driver: 'json-file' | 'local';
  path: string;
}

/** Options every driver takes (daemon/logger's builtInLogOpts). */
const BUILT_IN_OPTS = new Set(['mode', 'max-buffer-size']);

/** Each known driver's option names, and how dockerd words an unknown one. */
const DRIVERS: Record<string, { opts: string[]; unknown: (opt: string) => string }> = {
  'json-file': {
    opts: ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
    unknown: (opt) => `unknown log opt '${opt}' for json-file log driver`,
  },
  local: {
    opts: ['max-file', 'max-size', 'compress'],
    unknown: (opt) => `unknown log opt '${opt}' for log driver local`,
  },
  syslog: {
    opts: [
      'env', 'env-regex', 'labels', 'labels-regex', 'syslog-address', 'syslog-facility', 'syslog-tls-ca-cert',
      'syslog-tls-cert', 'syslog-tls-key', 'syslog-tls-skip-verify', 'tag', 'syslog-format',
    ],
    unknown: (opt) => `unknown log opt '${opt}' for syslog log driver`,
  },
  journald: {
    opts: ['env', 'env-regex', 'labels', 'labels-regex', 'tag'],
    unknown: (opt) => `unknown log opt '${opt}' for journald log driver`,
  },
};

/** The host's socket of syslog and journald, and dockerd's error (their New's) when it is missing. */
const HOST_LOGGERS: Record<string, { socket: string; missing: string }> = {
  syslog: { socket: '/dev/log', missing: 'Unix syslog delivery error' },
  journald: { socket: '/run/systemd/journal/socket', missing: 'journald is not enabled on this host' },
};

/** HostConfig.LogConfig with the default driver, checked as dockerd does at create. */
export function checkLogConfig(logConfig: LogConfig | undefined): LogConfig {
  const type = logConfig?.Type || 'json-file';
  const config = { ...(logConfig?.Config ?? {}) };
  if (type === 'none') return { Type: type, Config: config };
  const mode = config.mode ?? '';
  if (!['', 'blocking', 'non-blocking'].includes(mode)) throw new InvalidArgumentError(`logger: logging mode not supported: ${mode}`);
  const bufferSize = config['max-buffer-size'];
  if (bufferSize !== undefined) {
    if (mode !== 'non-blocking') throw new InvalidArgumentError("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    parseSize(bufferSize, 1024, (msg) => new InvalidArgumentError(`error parsing option max-buffer-size: ${msg}`));
  }
  const driver = DRIVERS[type];
  if (driver === undefined) throw new InvalidArgumentError(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  for (const opt of Object.keys(config)) {
    if (!BUILT_IN_OPTS.has(opt) && !driver.opts.includes(opt)) throw new InvalidArgumentError(driver.unknown(opt));
  }
  return { Type: type, Config: config };
}

/**
 * The shim's log options for a container being started, from its LogConfig
 * (daemonOpts, the daemon's --log-opt, fill in for json-file, the default
 * driver); refused as each driver's New refuses its values.
 */
export function shimLogOptions(
  logConfig: LogConfig | undefined,
  paths: ContainerPaths,
  id: string,
  daemonOpts: Record<string, string>,
): Pick<ShimOptions, 'logFile' | 'logDriver' | 'logMaxSize' | 'logMaxFile' | 'logCompress'> {
  const type = logConfig?.Type || 'json-file';
  const config = logConfig?.Config ?? {};
  const hostLogger = HOST_LOGGERS[type];
  if (hostLogger !== undefined) {
    throw initError(existsSync(hostLogger.socket) ? `the ${type} driver is not implemented by tsdocker` : hostLogger.missing);
  }
  if (type === 'none') return {};
  if (type === 'local') {
    const maxSize = config['max-size'] === undefined ? 20_000_000 : parseSize(config['max-size'], 1000, (msg) => initError(`invalid value for max-size: ${config['max-size']}: ${msg}`));
    const maxFile = config['max-file'] === undefined ? 5 : parseGoInt(config['max-file'], (msg) => initError(`invalid value for max-file: ${config['max-file']}: ${msg}`));
    const compress = config.compress === undefined ? true : parseGoBool(config.compress, (msg) => initError(`error reading compress log option: ${msg}`));
    if (maxFile < 0) throw initError('max file count cannot be less than 0');
    if (compress && maxFile <= 1) throw initError('compression cannot be enabled when max file count is 1');
    return { logFile: localLogPath(paths, id), logDriver: 'local', logMaxSize: shimSize(maxSize), logMaxFile: shimCount(maxFile), logCompress: compress };
  }
  const opts = { ...daemonOpts, ...config };
  const maxSize = opts['max-size'] === undefined ? -1 : parseSize(opts['max-size'], 1024, initError);
  if (opts['max-size'] !== undefined && maxSize <= 0) throw initError('max-size must be a positive number');
  const maxFile = opts['max-file'] === undefined ? 1 : parseGoInt(opts['max-file'], initError);
  if (maxFile < 1) throw initError('max-file cannot be less than 1');
  if (opts.compress !== undefined && parseGoBool(opts.compress, initError)) {
    if (maxFile === 1 || maxSize === -1) throw initError('compress cannot be true when max-file is less than 2 or max-size is not set');
    throw initError('compress is not supported by the json-file driver of tsdocker: use --log-driver local');
  }
  return { logFile: paths.logPath(id), logDriver: 'json-file', logMaxSize: shimSize(maxSize), logMaxFile: shimCount(maxFile) };
}

/** A size as the shim takes it: whole bytes, -1 (none), at most 2^53 (far beyond any disk). */
function shimSize(bytes: number): string {
  return String(bytes < 0 ? -1 : Math.min(bytes, Number.MAX_SAFE_INTEGER));
}

/** A file count as the shim takes it: 1 to 2^31 - 1. */
function shimCount(files: number): number {
  return Math.min(Math.max(files, 1), 2 ** 31 - 1);
}

/** The log `docker logs` reads; undefined when the driver keeps none to read. */
export function logSource(logConfig: LogConfig | undefined, paths: ContainerPaths, id: string): LogSource | undefined {
  const type = logConfig?.Type || 'json-file';
  if (type === 'json-file') return { driver: 'json-file', path: paths.logPath(id) };
  if (type === 'local') return { driver: 'local', path: localLogPath(paths, id) };
  return undefined;
}

/** logSource, or dockerd's refusal for a driver that cannot be read (501). */
export function readableLog(logConfig: LogConfig | undefined, paths: ContainerPaths, id: string): LogSource {
  const source = logSource(logConfig, paths, id);
  if (source === undefined) throw new NotImplementedError('configured logging driver does not support reading');
  return source;
}

/** Inspect's LogPath: json-file's file only (dockerd keeps local's files out of the API). */
export function inspectLogPath(logConfig: LogConfig | undefined, paths: ContainerPaths, id: string): string {
  return logSource(logConfig, paths, id)?.driver === 'json-file' ? paths.logPath(id) : '';
}

function localLogPath(paths: ContainerPaths, id: string): string {
  return join(paths.dir(id), 'local-logs', 'container.log');
}

function initError(message: string): TsdError {
  return new TsdError(`failed to initialize logging driver: ${message}`);
}

const SIZE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;

/** go-units' FromHumanSize (unit 1000) or RAMInBytes (unit 1024), with their errors. */
function parseSize(text: string, unit: 1000 | 1024, fail: (msg: string) => Error): number {
  const m = SIZE.exec(text);
  if (!m) throw fail(`invalid size: '${text}'`);
  const [, digits = '', prefix = ''] = m;
  if (!/^\d+(?:\.\d+)?$/.test(digits)) throw fail(`strconv.ParseFloat: parsing "${digits}": invalid syntax`);
  const power = ' kmgtp'.indexOf(prefix.toLowerCase() || ' ');
  return Math.trunc(Number(digits) * unit ** power);
}

/** strconv.Atoi, with its error. */
function parseGoInt(text: string, fail: (msg: string) => Error): number {
  if (!/^[+-]?\d+$/.test(text)) throw fail(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw fail(`strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`);
  return n;
}

/** strconv.ParseBool, with its error. */
function parseGoBool(text: string, fail: (msg: string) => Error): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw fail(`strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}
