// The container's environment and labels from -e/--env-file and
// -l/--label-file: docker's kvfile format, and `KEY` alone taken from ours.
import { readFileSync } from 'node:fs';
import { FlagError } from './containers-opts';
import { goPathError, splitKV } from './containers-units';

/** opts.ValidateEnv: `KEY` alone takes its value from our environment when it has one. */
function envValue(v: string): string {
  const [k] = splitKV(v);
  if (k === '') throw new FlagError(`invalid environment variable: ${v}`);
  if (v.includes('=')) return v;
  const found = process.env[k];
  return found === undefined ? v : `${k}=${found}`;
}

/** kvfile.Parse: KEY=value lines; `KEY` alone is looked up (or dropped); # comments. */
function readKVFile(file: string, lookup: ((k: string) => string | undefined) | undefined): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FlagError(goPathError(err));
  }
  const out: string[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i, all) => {
    if (i === all.length - 1 && raw === '') return;
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const fail = (msg: string) => new FlagError(`invalid env file (${file}): ${msg}`);
    if (key === '') throw fail(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw fail(`variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else if (lookup) {
      const value = lookup(key);
      if (value !== undefined) out.push(`${key}=${value}`);
    }
  });
  return out;
}

/** The container's environment: env files first, then -e; a later KEY wins in place. */
export function readEnv(files: string[] | undefined, flags: string[] | undefined): string[] | null {
  const all = [...(files ?? []).flatMap((f) => readKVFile(f, (k) => process.env[k])), ...(flags ?? []).map(envValue)];
  if (all.length === 0) return null;
  const byKey = new Map<string, string>();
  for (const e of all) byKey.set(splitKV(e)[0], e);
  return [...byKey.values()];
}

/** The container's labels: label files first, then -l; a flag's label needs a name. */
export function readLabels(files: string[] | undefined, flags: string[] | undefined): Array<[string, string]> {
  const all = [...(files ?? []).flatMap((file) => readKVFile(file, undefined)), ...(flags ?? [])];
  for (const l of flags ?? []) if (splitKV(l)[0].trim() === '') throw new FlagError(`invalid label '${l}': empty name`);
  return all.map(splitKV);
}
