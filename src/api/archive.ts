// The archive endpoints' stat (docker cp): HEAD and GET /containers/{id}/archive
// answer it base64 JSON in the X-Docker-Container-Path-Stat header.

export const PATH_STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** container.PathStat, keys in Docker's order. */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** A Go os.FileMode: permission bits and the GO_MODE type bits. */
  mode: number;
  /** RFC 3339 with nanoseconds. */
  mtime: string;
  /** A symlink's target fully resolved in the container, else "". */
  linkTarget: string;
}

/** Go's os.FileMode bits (io/fs). */
export const GO_MODE = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
  irregular: 2 ** 19,
} as const;

/** Whether a Go os.FileMode has a bit (the bits above 2^30 do not fit JS's 32-bit `&`). */
export function hasModeBit(mode: number, bit: number): boolean {
  return Math.floor(mode / bit) % 2 === 1;
}

export function encodePathStat(stat: ContainerPathStat): string {
  const ordered: ContainerPathStat = { name: stat.name, size: stat.size, mode: stat.mode, mtime: stat.mtime, linkTarget: stat.linkTarget };
  return Buffer.from(JSON.stringify(ordered)).toString('base64');
}

/** The stat of an answer's header; undefined when it has none or it does not parse (the CLI then errors as docker does). */
export function decodePathStat(header: string | string[] | undefined): ContainerPathStat | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as ContainerPathStat;
  } catch {
    return undefined;
  }
}
