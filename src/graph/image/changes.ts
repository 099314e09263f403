// `changes` of import and commit (`--change 'CMD ["sh"]'`): Dockerfile
// instructions applied to a container config, as dockerfile.BuildFromConfig
// does. Only the instructions Docker allows there are accepted.
import { posix } from 'node:path';
import type { ImageContainerConfig } from '../../api/types';
import { InvalidArgumentError } from '../../errors';

const VALID = new Set(['cmd', 'entrypoint', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/** Returns a new config with the changes applied in order. */
export function applyChanges(base: ImageContainerConfig, changes: readonly string[]): ImageContainerConfig {
  const cfg: ImageContainerConfig = structuredClone(base);
  let cmdSet = false;
  for (const raw of changes) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instr = m[1]!.toLowerCase();
    const rest = m[2]!.trim();
    if (!VALID.has(instr)) throw new InvalidArgumentError(`${m[1]!.toUpperCase()} is not a valid change command`);
    switch (instr) {
      case 'cmd':
        cfg.Cmd = commandForm(rest);
        cmdSet = true;
        break;
      case 'entrypoint':
        cfg.Entrypoint = rest === '' ? null : commandForm(rest);
        if (!cmdSet) cfg.Cmd = null;
        break;
      case 'env':
        for (const [k, v] of keyValues(rest, 'ENV')) {
          const env = (cfg.Env ?? []).filter((e) => e.split('=', 1)[0] !== k);
          const at = (cfg.Env ?? []).findIndex((e) => e.split('=', 1)[0] === k);
          if (at >= 0) env.splice(at, 0, `${k}=${v}`);
          else env.push(`${k}=${v}`);
          cfg.Env = env;
        }
        break;
      case 'label':
        for (const [k, v] of keyValues(rest, 'LABEL')) cfg.Labels = { ...(cfg.Labels ?? {}), [k]: v };
        break;
      case 'expose': {
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of words(rest)) for (const port of expandPort(p)) ports[port] = {};
        cfg.ExposedPorts = ports;
        break;
      }
      case 'user':
        cfg.User = requireArg(rest, 'USER');
        break;
      case 'workdir': {
        const dir = requireArg(rest, 'WORKDIR');
        cfg.WorkingDir = dir.startsWith('/') ? posix.normalize(dir) : posix.join('/', cfg.WorkingDir, dir);
        break;
      }
      case 'volume': {
        const list = rest.startsWith('[') ? jsonArray(rest) ?? words(rest) : words(rest);
        if (list.length === 0) throw new InvalidArgumentError('VOLUME requires at least one argument');
        const vols = { ...(cfg.Volumes ?? {}) };
        for (const v of list) {
          if (v.trim() === '') throw new InvalidArgumentError('VOLUME specified can not be an empty string');
          vols[v] = {};
        }
        cfg.Volumes = vols;
        break;
      }
      case 'stopsignal':
        cfg.StopSignal = requireArg(rest, 'STOPSIGNAL');
        break;
      case 'onbuild':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), requireArg(rest, 'ONBUILD')];
        break;
    }
  }
  return cfg;
}

function requireArg(rest: string, name: string): string {
  if (rest === '') throw new InvalidArgumentError(`${name} requires exactly one argument`);
  return rest;
}

function jsonArray(s: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: shell form */
  }
  return undefined;
}

/** Exec form (JSON array) or shell form (`/bin/sh -c "<rest>"`). */
function commandForm(rest: string): string[] {
  return jsonArray(rest) ?? ['/bin/sh', '-c', rest];
}

/** Dockerfile word splitting with quotes and backslash escapes. */
function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new InvalidArgumentError(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) out.push(cur);
  return out;
}

/** `K=V K2="v 2"`, or the legacy `K value with spaces` form. */
function keyValues(rest: string, name: string): Array<[string, string]> {
  const ws = words(rest);
  if (ws.length === 0) throw new InvalidArgumentError(`${name} requires at least one argument`);
  if (!ws[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!m) throw new InvalidArgumentError(`${name} must have two arguments`);
    return [[m[1]!, words(m[2]!).join(' ')]];
  }
  return ws.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** `80`, `80/udp`, `8000-8002/tcp` → `80/tcp` … */
function expandPort(p: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
  if (!m) throw new InvalidArgumentError(`invalid containerPort: ${p}`);
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (hi < lo || hi > 65535) throw new InvalidArgumentError(`invalid range specified for port: ${p}`);
  const out: string[] = [];
  for (let port = lo; port <= hi; port++) out.push(`${port}/${proto}`);
  return out;
}
