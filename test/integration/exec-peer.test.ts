// docker exec next to Debian's dockerd, over a raw socket: the framing of the
// output follows the Tty of the start body, not the create's (a client that
// creates with a tty and starts without one gets 8-byte frames), and an exec
// whose command cannot run exits as dockerd's does (not found, not
// executable). Without dockerd these tests fail, saying how to get it.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { httpRequest, startDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { itWithDockerd, succeeded } from '../helpers/peer';

const it = itWithDockerd;
const missing = dockerdMissingReason();

let peer: Dockerd | undefined;
let ours: TestDaemon | undefined;

interface Side {
  name: string;
  socket: string;
  docker(args: string[]): { code: number; stdout: string; stderr: string };
}
const sides = (): Side[] => [
  { name: 'dockerd', socket: peer!.socket, docker: (a) => peer!.docker(a) },
  { name: 'tsdockerd', socket: ours!.socket, docker: (a) => ours!.docker(a) },
];

beforeAll(async () => {
  if (missing) return;
  const rootfs = await busyboxRootfsTar();
  [peer, ours] = await Promise.all([startDockerd(), startDaemon()]);
  for (const s of sides()) {
    succeeded(s.docker(['import', '-c', 'CMD ["/bin/sh"]', rootfs, 'busybox:latest']), `${s.name} import`);
    succeeded(s.docker(['run', '-d', '--network', 'none', '--name', 'ex', 'busybox', 'sleep', '1000']), `${s.name} run`);
    succeeded(s.docker(['exec', 'ex', 'sh', '-c', 'echo x > /noexec && chmod 644 /noexec']), `${s.name} exec setup`);
  }
});

afterAll(async () => {
  ours?.docker(['rm', '-f', 'ex']);
  peer?.docker(['rm', '-f', 'ex']);
  await Promise.all([ours?.cleanup(), peer?.stop()]);
});

/** POST /exec/{id}/start hijacked on a raw socket: every byte after the 101's headers, until the daemon closes. */
function startRaw(socket: string, id: string, body: Record<string, unknown>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const conn = connect(socket);
    const chunks: Buffer[] = [];
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('error', reject);
    conn.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      resolve(end < 0 ? all : all.subarray(end + 4));
    });
    conn.write(
      `POST /v1.41/exec/${id}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    );
    setTimeout(() => conn.destroy(new Error('exec start did not end')), 20_000).unref();
  });
}

async function createExec(s: Side, body: Record<string, unknown>): Promise<string> {
  const r = await httpRequest(s.socket, 'POST', '/v1.41/containers/ex/exec', { AttachStdout: true, AttachStderr: true, ...body });
  expect(r.status, `${s.name}: ${r.body}`).toBe(201);
  return (JSON.parse(r.body) as { Id: string }).Id;
}

/** The output as frames ("1:hi") when it parses as 8-byte frames, else "raw:" and the bytes. */
function shape(out: Buffer): string {
  const frames: Array<{ stream: number; text: string }> = [];
  for (let i = 0; i < out.length; ) {
    const size = out.length - i >= 8 ? out.readUInt32BE(i + 4) : -1;
    if (size < 0 || ![1, 2].includes(out[i]!) || out.readUIntBE(i + 1, 3) !== 0 || i + 8 + size > out.length) return `raw:${out.toString()}`;
    const payload = out.subarray(i + 8, i + 8 + size).toString();
    const last = frames[frames.length - 1];
    // Reads of a pty coalesce or split at will: consecutive frames of one stream count as one.
    if (last !== undefined && last.stream === out[i]) last.text += payload;
    else frames.push({ stream: out[i]!, text: payload });
    i += 8 + size;
  }
  return frames.map((f) => `${f.stream}:${f.text}`).join('|');
}

async function exitCode(s: Side, id: string): Promise<number | null> {
  for (let i = 0; i < 100; i++) {
    const r = JSON.parse((await httpRequest(s.socket, 'GET', `/v1.41/exec/${id}/json`)).body) as { Running: boolean; ExitCode: number | null };
    if (!r.Running && r.ExitCode !== null) return r.ExitCode;
    await new Promise((res) => setTimeout(res, 50));
  }
  return null;
}

describe('exec start framing and failures, next to dockerd', () => {
  it('frames the output by the start body Tty, whatever the create said', async () => {
    // A pause between the two: stdout and stderr are separate pipes, read in either order.
    const cmd = ['sh', '-c', 'printf out; sleep 0.2; printf err >&2'];
    for (const [createTty, startTty] of [[true, false], [false, true], [false, false]] as const) {
      const seen: string[] = [];
      for (const s of sides()) {
        const id = await createExec(s, { Cmd: cmd, Tty: createTty });
        seen.push(shape(await startRaw(s.socket, id, { Detach: false, Tty: startTty })));
      }
      expect(seen[1], `create Tty ${createTty}, start Tty ${startTty}`).toBe(seen[0]);
    }
    // The case of the issue: a tty exec started without one gets 8-byte frames.
    const id = await createExec(sides()[1]!, { Cmd: ['printf', 'hi'], Tty: true });
    expect(shape(await startRaw(ours!.socket, id, { Detach: false, Tty: false }))).toBe('1:hi');
  });

  it('exits as dockerd when the command is missing or not executable', async () => {
    for (const cmd of [['nope'], ['/noexec'], ['/etc']]) {
      const codes: Array<number | null> = [];
      const cli: number[] = [];
      for (const s of sides()) {
        const id = await createExec(s, { Cmd: cmd });
        await startRaw(s.socket, id, { Detach: false, Tty: false });
        codes.push(await exitCode(s, id));
        cli.push(s.docker(['exec', 'ex', ...cmd]).code);
      }
      expect(codes[1], `${cmd.join(' ')}: exec inspect`).toBe(codes[0]);
      expect(cli[1], `${cmd.join(' ')}: docker exec`).toBe(cli[0]);
    }
  });
});
