// `User` and `GroupAdd` to uid, gid and supplementary gids, read from the
// image's /etc/passwd and /etc/group as Docker does (moby/sys/user
// GetExecUser and GetAdditionalGroups, daemon getUser): names or numbers,
// `user:group`, a numeric user without a passwd entry, and the primary gid
// first in additionalGids.
import { readFileSync } from 'node:fs';
import { TsdError, isErrno } from '../errors';
import type { OciUser } from './oci-types';
import { resolvePathInRoot } from '../archive/scoped-path';

const MAX_ID = 2147483647;
const RANGE_ERROR = `uids and gids must be in range 0-${MAX_ID}`;
const NO_PASSWD = 'no matching entries in passwd file';
const NO_GROUP = 'no matching entries in group file';

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Go's strconv.Atoi: a whole decimal number (sign allowed) or NaN. */
function atoi(s: string): number {
  return /^[+-]?\d+$/.test(s) ? Number(s) : Number.NaN;
}

/** Lines of a colon-separated file, split into fields; null when the file is missing. */
function readColonFile(rootfs: string, path: string): string[][] | null {
  let text: string;
  try {
    text = readFileSync(resolvePathInRoot(rootfs, path), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
    throw err;
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(':'));
}

function readPasswd(rootfs: string): PasswdEntry[] | null {
  const rows = readColonFile(rootfs, '/etc/passwd');
  return rows && rows.map((f) => ({ name: f[0] ?? '', uid: atoi(f[2] ?? '') || 0, gid: atoi(f[3] ?? '') || 0 }));
}

function readGroup(rootfs: string): GroupEntry[] | null {
  const rows = readColonFile(rootfs, '/etc/group');
  return (
    rows &&
    rows.map((f) => ({ name: f[0] ?? '', gid: atoi(f[2] ?? '') || 0, members: (f[3] ?? '').split(',').filter((m) => m !== '') }))
  );
}

function checkRange(id: number): number {
  if (id < 0 || id > MAX_ID) throw new TsdError(RANGE_ERROR);
  return id;
}

/** uid, gid and the groups the user is listed in, for `user`, `user:group`, `uid:gid` (or '' for root). */
function execUser(userSpec: string, passwd: PasswdEntry[] | null, group: GroupEntry[] | null): { uid: number; gid: number; sgids: number[] } {
  const [userArg = '', groupArg = ''] = userSpec.split(':');
  const uidArg = atoi(userArg);
  const gidArg = atoi(groupArg);
  const out = { uid: 0, gid: 0, sgids: [] as number[] };

  const user = passwd?.find((u) => (userArg === '' ? u.uid === 0 : Number.isNaN(uidArg) ? u.name === userArg : u.uid === uidArg));
  let matchedName = '';
  if (user) {
    matchedName = user.name;
    out.uid = user.uid;
    out.gid = user.gid;
  } else if (userArg !== '') {
    if (Number.isNaN(uidArg)) throw new TsdError(`unable to find user ${userArg}: ${NO_PASSWD}`);
    out.uid = checkRange(uidArg);
  }

  if (groupArg === '' && matchedName === '') return out;
  const groups = (group ?? []).filter((g) =>
    groupArg === '' ? g.members.includes(matchedName) : Number.isNaN(gidArg) ? g.name === groupArg : g.gid === gidArg,
  );
  if (groupArg !== '') {
    if (groups.length > 0) out.gid = groups[0]!.gid;
    else if (Number.isNaN(gidArg)) throw new TsdError(`unable to find group ${groupArg}: ${NO_GROUP}`);
    else out.gid = checkRange(gidArg);
  } else {
    out.sgids = groups.map((g) => g.gid);
  }
  return out;
}

/** GroupAdd entries (names or numbers) to gids, in order, without repeats. */
function additionalGroups(groupAdd: readonly string[], group: GroupEntry[] | null): number[] {
  const gids: number[] = [];
  for (const ag of groupAdd) {
    const match = (group ?? []).find((g) => (g.name === ag || String(g.gid) === ag) && !gids.includes(g.gid));
    if (match) {
      gids.push(match.gid);
      continue;
    }
    if ((group ?? []).some((g) => g.name === ag || String(g.gid) === ag)) continue; // already added
    const gid = atoi(ag);
    if (Number.isNaN(gid)) throw new TsdError(`Unable to find group ${ag}: ${NO_GROUP}`);
    if (!gids.includes(checkRange(gid))) gids.push(gid);
  }
  return gids;
}

/** The OCI user for `userSpec` ('' = root) in the rootfs, with HostConfig.GroupAdd. */
export function resolveUser(rootfs: string, userSpec: string, groupAdd: readonly string[] | null | undefined): OciUser {
  const passwd = readPasswd(rootfs);
  const group = readGroup(rootfs);
  const u = execUser(userSpec, passwd, group);
  const extra = groupAdd && groupAdd.length > 0 ? additionalGroups(groupAdd, group) : [];
  return { uid: u.uid, gid: u.gid, additionalGids: [u.gid, ...u.sgids, ...extra] };
}
