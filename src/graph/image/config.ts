// The image configuration JSON (what an image ID digests), shaped as dockerd
// writes it: top-level keys sorted (moby's image.Image MarshalJSON), the
// container config in container.Config field order with its omitempty rules.
import type { ImageContainerConfig } from '../../api/types';
import { InvalidArgumentError } from '../../errors';
import { isDigest, sha256, type Digest } from '../../api/digest';

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The config blob (Docker image JSON, a superset of the OCI image config). */
export interface ImageConfigFile {
  architecture: string;
  variant?: string;
  os: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  container?: string;
  container_config?: ImageContainerConfig;
  config?: ImageContainerConfig;
  parent?: string;
  rootfs: { type: string; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

/** container.Config with every field at its zero value. */
export function emptyContainerConfig(): ImageContainerConfig {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
  };
}

const CONFIG_ORDER: (keyof ImageContainerConfig)[] = [
  'Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin',
  'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint',
  'NetworkDisabled', 'MacAddress', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout', 'Shell',
];
const OMIT_EMPTY = new Set<keyof ImageContainerConfig>([
  'ExposedPorts', 'Healthcheck', 'ArgsEscaped', 'NetworkDisabled', 'MacAddress', 'StopSignal', 'StopTimeout', 'Shell',
]);

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

/** The config with Go's field order and omitempty (a missing field gets its zero value). */
export function orderContainerConfig(c: Partial<ImageContainerConfig>): ImageContainerConfig {
  const zero = emptyContainerConfig() as unknown as Record<string, unknown>;
  const src = c as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_ORDER) {
    const v = src[k] ?? zero[k];
    if (OMIT_EMPTY.has(k) && (isEmpty(v) || (k === 'ExposedPorts' && Object.keys(v as object).length === 0))) continue;
    if (v === undefined) continue;
    out[k] = v;
  }
  return out as unknown as ImageContainerConfig;
}

/** Serializes a config the way dockerd does: top-level keys sorted, container configs ordered. */
export function serializeConfig(cfg: ImageConfigFile): string {
  const src = cfg as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src).sort()) {
    const v = src[k];
    if (v === undefined) continue;
    out[k] = k === 'config' || k === 'container_config' ? orderContainerConfig(v as Partial<ImageContainerConfig>) : v;
  }
  return JSON.stringify(out);
}

/** Parses and checks a config blob; InvalidArgumentError if it is not an image config. */
export function parseConfig(data: Buffer | string): ImageConfigFile {
  let v: unknown;
  try {
    v = JSON.parse(data.toString());
  } catch (err) {
    throw new InvalidArgumentError(`invalid image config: ${(err as Error).message}`);
  }
  const c = v as Partial<ImageConfigFile>;
  if (typeof c !== 'object' || c === null || typeof c.rootfs !== 'object' || c.rootfs === null || !Array.isArray(c.rootfs.diff_ids)) {
    throw new InvalidArgumentError('invalid image config: no rootfs');
  }
  for (const d of c.rootfs.diff_ids) if (!isDigest(d)) throw new InvalidArgumentError(`invalid image config: bad diff_id ${String(d)}`);
  return c as ImageConfigFile;
}

/** The image ID of a config blob. */
export function imageIdOf(data: Buffer | string): Digest {
  return sha256(data);
}
