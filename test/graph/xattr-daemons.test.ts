// A file capability (security.capability, binary) survives the daemons' tar
// paths end to end, checked by running the file as uid 1000 and reading its
// effective set: our layer tar → docker import → run; docker save from
// tsdockerd → docker load into Debian's dockerd (Go reads our tar) → run;
// docker export from dockerd (Go writes the tar) → import into tsdockerd → run;
// docker export from tsdockerd keeps the bytes and Docker's modes.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { exportDiff } from '../../src/graph/layers/export';
import { unpackLayer } from '../../src/graph/layers/unpack';
import { lgetxattr, lsetxattr } from '../../src/native';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { itWithDockerd, succeeded } from '../helpers/peer';
import { tempDir } from './helpers';
import { rawHeaders } from './tar-blocks';

/** vfs_cap_data v2 for cap_setuid,cap_net_raw+ep: permitted = bits 7 and 13, effective flag set. */
const CAP_V2 = Buffer.from('0100000280200000000000000000000000000000', 'hex');
/** CapEff of a uid-1000 process exec'ing the file: bits 7 (setuid) and 13 (net_raw). */
const CAP_EFF = 'CapEff:\t0000000000002080\n';
const RUN_AS_1000 = ['run', '--rm', '--network', 'none', '--user', '1000'];
/** busybox runs an applet named by its first argument when its own name starts with "busybox". */
const CAP_EFF_OF = (image: string) => [...RUN_AS_1000, image, '/bin/busybox-cap', 'grep', 'CapEff', '/proc/self/status'];

let peer: Dockerd | undefined;
let ours: TestDaemon | undefined;
let dir: string;
let rootfsTar: string;

const ok = succeeded;
const it = itWithDockerd;
const missing = dockerdMissingReason();

beforeAll(async () => {
  if (missing) return;
  dir = tempDir('tsd-xattr-daemons-');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) mkdirSync(join(rootfs, d));
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox-cap'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  chmodSync(join(rootfs, 'bin/busybox-cap'), 0o755);
  lsetxattr(join(rootfs, 'bin/busybox-cap'), 'security.capability', CAP_V2); // what `setcap` writes (xattr.test.ts checks)
  rootfsTar = join(dir, 'rootfs.tar');
  const chunks: Buffer[] = [];
  for await (const c of exportDiff(rootfs)) chunks.push(c as Buffer);
  writeFileSync(rootfsTar, Buffer.concat(chunks));
  [peer, ours] = await Promise.all([startDockerd({ prefix: 'dockerd-xattr-' }), startDaemon()]);
  ok(ours.docker(['import', rootfsTar, 'tsd-cap:1']), 'import');
});

afterAll(async () => {
  await Promise.all([ours?.cleanup(), peer?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a file capability through the daemons', () => {
  it('tsdockerd runs the imported file with its capability', () => {
    expect(ok(ours!.docker(CAP_EFF_OF('tsd-cap:1')), 'run')).toBe(CAP_EFF);
    const plain = [...RUN_AS_1000, 'tsd-cap:1', '/bin/busybox', 'grep', 'CapEff', '/proc/self/status'];
    expect(ok(ours!.docker(plain), 'run without the capability')).toBe('CapEff:\t0000000000000000\n');
  });

  it('docker save from tsdockerd loads into dockerd, where the file still has it', () => {
    const archive = join(dir, 'save.tar');
    ok(ours!.docker(['save', '-o', archive, 'tsd-cap:1']), 'save');
    ok(peer!.docker(['load', '-i', archive]), 'dockerd load');
    expect(ok(peer!.docker(CAP_EFF_OF('tsd-cap:1')), 'dockerd run')).toBe(CAP_EFF);
  });

  it("dockerd's docker export (Go's tar) imports into tsdockerd with it", () => {
    const archive = join(dir, 'dockerd-export.tar');
    ok(peer!.docker(['create', '--name', 'cap-export', 'tsd-cap:1', '/bin/busybox', 'true']), 'dockerd create');
    ok(peer!.docker(['export', '-o', archive, 'cap-export']), 'dockerd export');
    ok(peer!.docker(['rm', 'cap-export']), 'dockerd rm');
    ok(ours!.docker(['import', archive, 'tsd-cap:from-dockerd']), 'import');
    expect(ok(ours!.docker(CAP_EFF_OF('tsd-cap:from-dockerd')), 'run')).toBe(CAP_EFF);
  });

  it("tsdockerd's docker export keeps the bytes and Docker's modes", async () => {
    const archive = join(dir, 'export.tar');
    ok(ours!.docker(['create', '--name', 'cap-export', 'tsd-cap:1', '/bin/busybox', 'true']), 'create');
    ok(ours!.docker(['export', '-o', archive, 'cap-export']), 'export');
    ok(ours!.docker(['rm', 'cap-export']), 'rm');
    const data = readFileSync(archive);
    const modes = new Map(rawHeaders(data).map((h) => [h.name, h.mode]));
    expect([modes.get('bin/'), modes.get('bin/busybox-cap')]).toEqual(['0040755\0', '0100755\0']);
    const dst = join(dir, 'unpacked');
    mkdirSync(dst);
    await unpackLayer(Readable.from([data]), dst);
    expect(lgetxattr(join(dst, 'bin/busybox-cap'), 'security.capability')).toEqual(CAP_V2);
  });
});
