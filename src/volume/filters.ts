// GET /volumes and POST /volumes/prune filters, as dockerd's volume service
// reads them (volume/service/convert.go): name (regular expressions), driver,
// label / label! (key or key=value), dangling (a boolean), and prune's all.
import { InvalidArgumentError } from '../errors';
import { ANONYMOUS_LABEL } from './types';

export interface VolumeView {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  refs: number;
}

const LIST_FILTERS = new Set(['dangling', 'name', 'driver', 'label']);
const PRUNE_FILTERS = new Set(['label', 'label!', 'all']);

function validate(filters: Record<string, string[]>, accepted: Set<string>): void {
  for (const k of Object.keys(filters)) if (!accepted.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
}

function parseBool(key: string, v: string): boolean {
  const l = v.toLowerCase();
  if (l === 'true' || l === '1') return true;
  if (l === 'false' || l === '0') return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${v}'`);
}

/** label=k / label=k=v: every value must match (Docker's MatchKVList). */
function labelsMatch(values: readonly string[] | undefined, labels: Record<string, string>): boolean {
  return (values ?? []).every((f) => {
    const i = f.indexOf('=');
    if (i < 0) return f in labels;
    return labels[f.slice(0, i)] === f.slice(i + 1);
  });
}

function nameMatches(values: readonly string[], name: string): boolean {
  return values.some((v) => {
    if (v === name) return true;
    try {
      return new RegExp(v).test(name);
    } catch {
      return false;
    }
  });
}

function matcher(filters: Record<string, string[]>): (v: VolumeView) => boolean {
  const dangling = filters.dangling?.length ? filters.dangling.map((d) => parseBool('dangling', d)) : undefined;
  return (v) => {
    if (filters.driver?.length && !filters.driver.includes(v.driver)) return false;
    if (filters.name?.length && !nameMatches(filters.name, v.name)) return false;
    if (!labelsMatch(filters.label, v.labels)) return false;
    if (filters['label!']?.length && filters['label!'].some((f) => labelsMatch([f], v.labels))) return false;
    if (dangling && !dangling.some((d) => (v.refs === 0) === d)) return false;
    return true;
  };
}

export function listFilter(filters: Record<string, string[]>): (v: VolumeView) => boolean {
  validate(filters, LIST_FILTERS);
  return matcher(filters);
}

/**
 * What a prune may remove: local volumes without options that no container
 * uses; only anonymous ones unless `all` (implied below API 1.42, as dockerd).
 */
export function pruneFilter(filters: Record<string, string[]>, apiVersion: string): (v: VolumeView) => boolean {
  validate(filters, PRUNE_FILTERS);
  const f: Record<string, string[]> = { ...filters };
  const all = f.all ?? [];
  delete f.all;
  let pruneAll = versionLess(apiVersion, '1.42');
  if (all.length > 1) throw new InvalidArgumentError(`invalid filter 'all=[${all.join(' ')}]': only one value is expected`);
  if (all.length === 1) {
    const l = all[0]!.toLowerCase();
    if (!['1', 't', 'true', '0', 'f', 'false'].includes(l)) {
      throw new InvalidArgumentError(`invalid filter 'all': strconv.ParseBool: parsing ${JSON.stringify(all[0])}: invalid syntax`);
    }
    pruneAll = ['1', 't', 'true'].includes(l);
  }
  if (!pruneAll) f.label = [...(f.label ?? []), ANONYMOUS_LABEL];
  const match = matcher(f);
  return (v) => v.driver === 'local' && Object.keys(v.options).length === 0 && v.refs === 0 && match(v);
}

function versionLess(a: string, b: string): boolean {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj < bmaj || (amaj === bmaj && amin < bmin);
}
