// Containers end to end, driven by the real docker CLI 28.2.2 against a real
// tsdockerd: run/create/start/stop/kill/wait/logs/exec/attach/ps/inspect/rm,
// exit codes as docker gives them, and a daemon restart under running containers.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, cleanupWithContainers, startBusyboxDaemon, startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
beforeAll(async () => {
  d = await startBusyboxDaemon();
}, 60_000);
afterAll(() => cleanupWithContainers(d));

describe('docker run', () => {
  it('runs a command and removes the container with --rm', () => {
    expect(ok(d.docker(['run', '--rm', 'busybox', 'echo', 'hello']))).toBe('hello\n');
    expect(ok(d.docker(['ps', '-aq']))).toBe('');
  });

  it('exits with the container exit code', () => {
    const r = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
  });

  it('passes piped stdin with -i and closes it at EOF', () => {
    expect(ok(d.docker(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'x\ny\n' }))).toBe('x\ny\n');
    expect(ok(d.docker(['run', '-i', '--rm', 'busybox', 'wc', '-l'], { input: 'a\nb\nc\n' })).trim()).toBe('3');
  });

  it('maps start failures to 127, 126 and 125 like docker', () => {
    const notFound = d.docker(['run', '--rm', 'busybox', 'nope']);
    expect(notFound.code).toBe(127);
    expect(notFound.stderr).toContain('exec: "nope": executable file not found in $PATH');
    // dockerd answers the wait for removal without the error: the CLI logs it once.
    expect(notFound.stderr).not.toContain('Error waiting for container');
    const denied = d.docker(['run', '--rm', 'busybox', '/etc/passwd']);
    expect(denied.code).toBe(126);
    expect(denied.stderr).toContain('permission denied');
    const badImage = d.docker(['run', '--rm', '--pull', 'never', 'nosuchimage:1', 'true']);
    expect(badImage.code).toBe(125);
    expect(badImage.stderr).toContain('No such image: nosuchimage:1');
  });

  it('isolates the process: pid 1, own hostname, user, caps, read-only root', () => {
    expect(ok(d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo $$'])).trim()).toBe('1');
    expect(ok(d.docker(['run', '--rm', '-h', 'boxy', 'busybox', 'hostname'])).trim()).toBe('boxy');
    // What dockerd prints: the container's / is 0755, so any user reads the image's /etc/group.
    expect(ok(d.docker(['run', '--rm', '-u', 'nobody', 'busybox', 'id'])).trim()).toBe('uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)');
    expect(ok(d.docker(['run', '--rm', '-u', '12345', 'busybox', 'sh', '-c', 'ls -ldn / | cut -c1-10; id'])).trim()).toBe('drwxr-xr-x\nuid=12345 gid=0(root) groups=0(root)');
    expect(ok(d.docker(['run', '--rm', '--cap-drop', 'ALL', 'busybox', 'grep', 'CapEff', '/proc/self/status']))).toMatch(/CapEff:\s+0000000000000000/);
    const ro = d.docker(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toContain('Read-only file system');
    const mount = d.docker(['run', '--rm', 'busybox', 'mount', '-t', 'tmpfs', 'none', '/mnt']);
    expect(mount.code).not.toBe(0);
    expect(ok(d.docker(['run', '--rm', '-e', 'A=1', '-w', '/tmp', 'busybox', 'sh', '-c', 'echo $A $PWD'])).trim()).toBe('1 /tmp');
    expect(ok(d.docker(['run', '--rm', 'busybox', 'ps', '-o', 'pid,comm'])).trim().split('\n').slice(1).map((l) => l.trim())).toEqual(['1 ps']);
  });

  it('gives a --network none container loopback only, up, without IPv6, and a default one eth0 besides, as dockerd does', () => {
    for (const net of [['--network', 'none'], []]) {
      const out = ok(d.docker(['run', '--rm', ...net, 'busybox', 'sh', '-c', 'ip -o link; ip -o addr; ping -c1 -W1 127.0.0.1 >/dev/null && echo pong']));
      const lines = out.trim().split('\n');
      expect(lines[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
      const others = lines.filter((l) => /^\d+: /.test(l) && !l.includes(' lo')).map((l) => l.split(':')[1]!.trim().split(/[@\s]/)[0]);
      expect(others).toEqual(net.length > 0 ? [] : ['eth0', 'eth0']);
      expect(out).toMatch(/lo\s+inet 127\.0\.0\.1\/8/);
      expect(out).not.toContain('inet6');
      expect(lines.at(-1)).toBe('pong');
    }
  });

  it('keeps only fds 0-2 open at exec and masks /proc paths', () => {
    expect(ok(d.docker(['run', '--rm', 'busybox', 'ls', '/proc/self/fd'])).trim().split('\n').sort()).toEqual(['0', '1', '2', '3']);
    // /proc/kcore is absent from this kernel; where it exists it is masked like the others.
    const masked = ['/proc/keys', '/proc/timer_list', ...(existsSync('/proc/kcore') ? ['/proc/kcore'] : [])];
    expect(ok(d.docker(['run', '--rm', 'busybox', 'sh', '-c', masked.map((p) => `wc -c < ${p}`).join(';')])).trim().split(/\s+/)).toEqual(masked.map(() => '0'));
    expect(ok(d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'grep -c " /proc/keys " /proc/self/mountinfo'])).trim()).toBe('1');
    const sys = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo 1 > /proc/sys/kernel/domainname']);
    expect(sys.code).not.toBe(0);
  });
});

describe('container lifecycle', () => {
  it('create, start, logs, exec, stop, ps, inspect, rm', () => {
    const id = ok(d.docker(['run', '-d', '--name', 'lc1', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'])).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = ok(d.docker(['ps']));
    expect(ps.split('\n')[0]).toMatch(/^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    expect(ps).toMatch(new RegExp(`\\n${id.slice(0, 12)} +busybox +"sh -c 'i=0; while t…" +.* ago +Up .* +lc1\\n`));
    expect(ok(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.Name}} {{.Config.Image}}', 'lc1']))).toBe('running true /lc1 busybox\n');
    expect(ok(d.docker(['exec', 'lc1', 'sh', '-c', 'echo in $HOSTNAME']))).toBe(`in ${id.slice(0, 12)}\n`);
    expect(d.docker(['exec', 'lc1', 'sh', '-c', 'exit 5']).code).toBe(5);
    // dockerd's exit for a command that cannot start (exec-peer.test.ts compares).
    const r = d.docker(['exec', 'lc1', 'nope']);
    expect(r.code).toBe(126);
    expect(ok(d.docker(['exec', '-i', 'lc1', 'cat'], { input: 'piped\n' }))).toBe('piped\n');
    expect(ok(d.docker(['exec', '-u', 'nobody', '-w', '/tmp', 'lc1', 'sh', '-c', 'id -u; pwd']))).toBe('65534\n/tmp\n');
    // A failure after the hijack reaches the client in the stream, with 126, as from dockerd.
    const user = d.docker(['exec', '-u', 'nosuchuser', 'lc1', 'true']);
    expect([user.code, user.stdout]).toEqual([126, 'unable to find user nosuchuser: no matching entries in passwd file\r\n']);
    const cwd = d.docker(['exec', '-w', 'relative', 'lc1', 'true']);
    expect([cwd.code, cwd.stderr]).toEqual([1, "Error response from daemon: the working directory 'relative' is invalid, it needs to be an absolute path\n"]);
    const logs = ok(d.docker(['logs', 'lc1']));
    expect(logs.startsWith('tick 0\ntick 1\n')).toBe(true);
    expect(ok(d.docker(['logs', '--tail', '1', 'lc1']))).toMatch(/^tick \d+\n$/);
    expect(ok(d.docker(['top', 'lc1']))).toMatch(/^UID +PID +PPID +C +STIME +TTY +TIME +CMD\n/);
    ok(d.docker(['stop', '-t', '1', 'lc1']));
    expect(ok(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'lc1']))).toBe('exited 137\n');
    expect(ok(d.docker(['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}']))).toMatch(/^lc1 Exited \(137\) .* ago\n$/);
    ok(d.docker(['start', 'lc1']));
    expect(ok(d.docker(['inspect', '-f', '{{.State.Running}}', 'lc1']))).toBe('true\n');
    const rm = d.docker(['rm', 'lc1']);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toBe('Error response from daemon: cannot remove container "/lc1": container is running: stop the container before removing or force remove\n');
    ok(d.docker(['rename', 'lc1', 'lc2']));
    expect(ok(d.docker(['rm', '-f', 'lc2']))).toBe('lc2\n');
    expect(existsSync(join(d.dataRoot, 'containers', id))).toBe(false);
    expect(d.docker(['rm', 'lc2']).stderr).toBe('Error response from daemon: No such container: lc2\n');
  });

  it('wait, kill, start -a, diff, export, prune', () => {
    ok(d.docker(['create', '--name', 'w1', 'busybox', 'sh', '-c', 'echo made > /new; rm /etc/group; exit 7']));
    expect(ok(d.docker(['ps', '-a', '--filter', 'name=w1', '--format', '{{.Status}}']))).toBe('Created\n');
    const started = d.docker(['start', '-a', 'w1']);
    expect(started.code).toBe(7);
    expect(ok(d.docker(['wait', 'w1']))).toBe('7\n');
    expect(ok(d.docker(['diff', 'w1'])).trim().split('\n').sort()).toEqual(['A /new', 'C /etc', 'D /etc/group']);
    const tarPath = join(d.dir, 'w1.tar');
    ok(d.docker(['export', '-o', tarPath, 'w1']));
    const names = spawnSync('tar', ['-tf', tarPath], { encoding: 'utf8' }).stdout.split('\n');
    expect(names).toContain('new');
    expect(names).toContain('bin/busybox');
    expect(names).not.toContain('etc/group');
    // PID 1 gets no default signal actions: the shell traps TERM itself.
    ok(d.docker(['run', '-d', '--name', 'k1', 'busybox', 'sh', '-c', 'trap "exit 3" TERM; while true; do sleep 0.1; done']));
    ok(d.docker(['kill', '-s', 'TERM', 'k1']));
    expect(ok(d.docker(['wait', 'k1']))).toBe('3\n');
    const notRunning = d.docker(['kill', 'k1']);
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toMatch(/is not running/);
    expect(ok(d.docker(['container', 'prune', '-f']))).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nTotal reclaimed space: /);
    expect(ok(d.docker(['ps', '-aq']))).toBe('');
  });
});

describe('commit', () => {
  it('turns a container into an image that runs, with the changes applied', () => {
    ok(d.docker(['run', '--name', 'c1', 'busybox', 'sh', '-c', 'echo committed > /data; rm /etc/group']));
    const id = ok(d.docker(['commit', '-a', 'me', '-m', 'a note', '-c', 'ENV X=1', '-c', 'CMD ["cat", "/data"]', 'c1', 'committed:1'])).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ok(d.docker(['run', '--rm', 'committed:1']))).toBe('committed\n');
    expect(ok(d.docker(['run', '--rm', 'committed:1', 'sh', '-c', 'echo $X; ls /etc/group 2>&1 || true']))).toBe('1\nls: /etc/group: No such file or directory\n');
    const info = ok(d.docker(['image', 'inspect', '-f', '{{.Author}}|{{.Comment}}|{{len .RootFS.Layers}}', 'committed:1']));
    expect(info).toBe('me|a note|2\n');
    expect(ok(d.docker(['history', '--format', '{{.CreatedBy}}|{{.Comment}}', 'committed:1'])).split('\n')[0]).toBe('sh -c echo committed > /data; rm /etc/group|a note');
    // An image a container uses cannot be removed without force.
    const rmi = d.docker(['rmi', 'busybox']);
    expect(rmi.code).toBe(1);
    expect(rmi.stderr).toMatch(/conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}/);
    ok(d.docker(['rm', 'c1']));
    ok(d.docker(['rmi', 'committed:1']));
  });
});

describe('daemon restart', () => {
  it('keeps a running container running, attachable and logging', async () => {
    const id = ok(d.docker(['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'i=0; while true; do echo n $i; i=$((i+1)); sleep 0.1; done'])).trim();
    const pid = Number(ok(d.docker(['inspect', '-f', '{{.State.Pid}}', 'live'])).trim());
    expect(pid).toBeGreaterThan(0);
    await d.kill('SIGTERM');
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    d = await startDaemon({ dir: d.dir });
    expect(ok(d.docker(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', 'live']))).toBe(`true ${pid}\n`);
    // The log has no gap across the restart.
    const numbers = ok(d.docker(['logs', 'live'])).trim().split('\n').map((l) => Number(l.split(' ')[1]));
    numbers.forEach((n, i) => expect(n).toBe(i));
    // Attach sees new output.
    const attach = spawn('docker', ['attach', '--no-stdin', 'live'], { env: { ...process.env, DOCKER_HOST: d.host } });
    const seen = await new Promise<string>((resolve) => {
      let out = '';
      attach.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(out);
      });
    });
    attach.kill('SIGKILL');
    expect(seen).toMatch(/n \d+/);
    ok(d.docker(['stop', '-t', '1', 'live']));
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    ok(d.docker(['rm', 'live']));
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
  });
});
