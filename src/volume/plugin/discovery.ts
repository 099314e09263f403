// Where legacy (unmanaged) plugins are found, as dockerd's pkg/plugins does:
// a socket <sockets>/<name>.sock or <sockets>/<name>/<name>.sock, else a
// <specs>/<name>.spec (one line: the plugin's URL) or <name>.json
// ({"Name", "Addr", "TLSConfig"}). Only unix:// addresses and tcp:// on
// loopback are dialled. The directories default to dockerd's and can be moved
// (tests): TSDOCKER_PLUGIN_SOCKETS_DIR, TSDOCKER_PLUGIN_SPECS_DIRS (':'-separated).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../errors';

export interface PluginDirs {
  sockets: string;
  specs: string[];
}

export function pluginDirs(env: NodeJS.ProcessEnv = process.env): PluginDirs {
  const specs = env['TSDOCKER_PLUGIN_SPECS_DIRS'];
  return {
    sockets: env['TSDOCKER_PLUGIN_SOCKETS_DIR'] || '/run/docker/plugins',
    specs: specs ? specs.split(':').filter(Boolean) : ['/etc/docker/plugins', '/usr/lib/docker/plugins'],
  };
}

/** How to reach a plugin: a Unix socket, or a loopback TCP address. */
export type PluginAddr = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

function parseUrl(url: string, from: string): PluginAddr {
  const u = url.trim();
  if (u.startsWith('unix://')) return { kind: 'unix', path: u.slice('unix://'.length) };
  if (u.startsWith('tcp://')) {
    const m = /^tcp:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d+)\/?$/.exec(u);
    if (!m) throw new InvalidArgumentError(`plugin spec ${from}: only loopback tcp:// addresses are supported by tsdocker: ${u}`);
    return { kind: 'tcp', host: m[1] === '[::1]' ? '::1' : m[1]!, port: Number(m[2]) };
  }
  throw new InvalidArgumentError(`Unknown protocol ${JSON.stringify(u)} in plugin spec ${from}`);
}

/** The plugin's address, or NotFoundError `plugin "x" not found` as dockerd. */
export function findPlugin(name: string, dirs: PluginDirs): PluginAddr {
  if (!NAME_RE.test(name)) throw new NotFoundError(`plugin "${name}" not found`);
  for (const p of [join(dirs.sockets, `${name}.sock`), join(dirs.sockets, name, `${name}.sock`)]) {
    if (isSocket(p)) return { kind: 'unix', path: p };
  }
  for (const dir of dirs.specs) {
    for (const ext of ['spec', 'json']) {
      const file = join(dir, `${name}.${ext}`);
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8');
      if (ext === 'spec') return parseUrl(text, file);
      let addr: unknown;
      try {
        addr = (JSON.parse(text) as { Addr?: unknown }).Addr;
      } catch {
        throw new InvalidArgumentError(`plugin spec ${file}: not JSON`);
      }
      if (typeof addr !== 'string') throw new InvalidArgumentError(`plugin spec ${file}: no Addr`);
      return parseUrl(addr, file);
    }
  }
  throw new NotFoundError(`plugin "${name}" not found`);
}
