// `run -it`, `exec -it`, `attach` on a real terminal: a tmux server of our
// own (its own socket, killed at the end) runs a shell whose pty is the CLI's
// terminal. Checks the window size reaching the container (at start and on
// SIGWINCH), the detach keys, the exit status, and the terminal's settings
// coming back on every way out.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/daemon';
import { hasDocker, removeTestObjects, startTarget, TEST_IMAGE, type Target } from './target';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const P = 'tsdcli-tty-';
let t: Target;
let server: string;
let socketPath: string | undefined;

const tmux = (...args: string[]) => {
  const r = spawnSync('tmux', ['-L', server, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const screen = () => tmux('capture-pane', '-p', '-t', 'main');
const keys = (...k: string[]) => tmux('send-keys', '-t', 'main', ...k);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string | RegExp, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (typeof what === 'string' ? s.includes(what) : what.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`screen never showed ${what}:\n${s}`);
    await sleep(50);
  }
}

/** Runs a shell line in the pane and waits for its marker; the screen is reset first (not by a command: $? stays). */
async function shell(line: string, marker: string | RegExp): Promise<string> {
  tmux('send-keys', '-R', '-t', 'main');
  tmux('clear-history', '-t', 'main');
  keys(line, 'Enter');
  return until(marker);
}

const stty = (file: string) => readFileSync(join(t.dir, file), 'utf8');

/** The pid of the CLI running in the pane: the shell's child. */
function cliPid(): number {
  const shellPid = tmux('display', '-p', '-t', 'main', '#{pane_pid}').trim();
  for (const task of readdirSync(`/proc/${shellPid}/task`)) {
    const children = readFileSync(`/proc/${shellPid}/task/${task}/children`, 'utf8').trim();
    if (children) return Number(children.split(' ')[0]);
  }
  throw new Error('no CLI process in the pane');
}

beforeAll(async () => {
  if (!hasTmux) return;
  t = await startTarget();
  server = `tsdcli-${process.pid}`;
  const env = `TSDOCKER_HOST=${t.host} DOCKER_HOST=${t.host} DOCKER_CONFIG=${t.dir}/docker-config PS1='$ ' TERM=xterm`;
  spawnSync('tmux', ['-L', server, '-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', '100', '-y', '30', `env ${env} bash --norc --noprofile`]);
  await until('$');
  socketPath = tmux('display', '-p', '#{socket_path}').trim();
  await shell(`alias tsdocker=${CLI}; cd ${t.dir}; stty -g > stty.before; echo ready`, /^ready$/m);
});
afterAll(async () => {
  if (!hasTmux) return;
  spawnSync('tmux', ['-L', server, 'kill-server']);
  // kill-server leaves its socket file behind.
  if (socketPath) rmSync(socketPath, { force: true });
  if (t) {
    removeTestObjects(t, P);
    await t.cleanup();
  }
});

describe.skipIf(!hasTmux)('on a terminal', () => {
  it('run -it: window size at start and on resize, exit status, terminal restored', async () => {
    await shell(`tsdocker run -it --rm ${TEST_IMAGE} sh`, /^\/ #\s*$/m);
    keys('stty size; echo size-shown', 'Enter');
    await until('30 100\nsize-shown');
    tmux('resize-window', '-t', 'main', '-x', '90', '-y', '25');
    // SIGWINCH → POST /resize → the pty: ask again until the new size has arrived.
    for (let i = 0; !screen().includes('25 90\nresized'); i++) {
      if (i === 40) throw new Error(`the new size never reached the container:\n${screen()}`);
      keys('clear; stty size; echo resized', 'Enter');
      await sleep(250);
    }
    keys('exit 7', 'Enter');
    await until(/^\$\s*$/m);
    await shell('r=$?; stty -g > stty.after; echo rc=$r', /^rc=7$/m);
    tmux('resize-window', '-t', 'main', '-x', '100', '-y', '30');
    expect(stty('stty.after')).toBe(stty('stty.before'));
  });

  it('run -it detaches on Ctrl-P Ctrl-Q, silently, leaving the container running', async () => {
    await shell(`tsdocker run -it --name ${P}detach ${TEST_IMAGE} sh`, /^\/ #\s*$/m);
    keys('echo inside', 'Enter');
    await until(/^inside$/m);
    keys('C-p', 'C-q');
    await until(/^\/ # \$\s*$/m);
    await shell('r=$?; stty -g > stty.after; echo rc=$r', /^rc=0$/m);
    expect(stty('stty.after')).toBe(stty('stty.before'));
    expect(t.cli(['inspect', '-f', '{{.State.Running}}', `${P}detach`]).stdout).toBe('true\n');
  });

  it('attach with --detach-keys, and exec -it with its exit status', async () => {
    await shell(`tsdocker attach --detach-keys ctrl-x,y ${P}detach`, /^\/ #\s*$/m);
    keys('echo attached', 'Enter');
    await until(/^attached$/m);
    keys('C-x', 'y');
    // docker's attach reports the detach as its error.
    await until(/read escape sequence\n\$\s*$/m);
    await shell('r=$?; stty -g > stty.after; echo rc=$r', /^rc=1$/m);
    expect(stty('stty.after')).toBe(stty('stty.before'));

    await shell(`tsdocker exec -it ${P}detach sh`, /^\/ #\s*$/m);
    keys('stty size; exit 3', 'Enter');
    await until(/^30 100$/m);
    await until(/^\$\s*$/m);
    await shell('r=$?; stty -g > stty.after; echo rc=$r', /^rc=3$/m);
    expect(stty('stty.after')).toBe(stty('stty.before'));
  });

  it.skipIf(!hasDocker)('the docker CLI 28.2.2 too: run -it and exec -it with the window size and exit status', async () => {
    await shell(`docker run -it --name ${P}docker ${TEST_IMAGE} sh`, /^\/ #\s*$/m);
    keys('stty size; echo run-size', 'Enter');
    await until('30 100\nrun-size');
    keys('C-p', 'C-q');
    await until(/^\/ # \$\s*$/m);
    await shell(`docker exec -it ${P}docker sh`, /^\/ #\s*$/m);
    keys('stty size; exit 6', 'Enter');
    await until(/^30 100$/m);
    await shell('r=$?; stty -g > stty.after; echo rc=$r', /^rc=6$/m);
    expect(stty('stty.after')).toBe(stty('stty.before'));
  });

  it('run -it passes the container\'s bytes through untouched, as the docker CLI does (no CR CR LF)', () => {
    // script(1) gives the CLI a pty and records the bytes that reach it.
    const recorded = (cli: string) => {
      const r = spawnSync('script', ['-qc', `${cli} run --rm -it ${TEST_IMAGE} printf 'a\\nb\\n'`, '/dev/null'], {
        encoding: 'latin1',
        env: { ...process.env, DOCKER_HOST: t.host, TSDOCKER_HOST: t.host },
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.slice(r.stdout.indexOf('a'));
    };
    expect(recorded(CLI)).toBe('a\r\nb\r\n');
    if (hasDocker) expect(recorded('docker')).toBe('a\r\nb\r\n');
  });

  it('restores the terminal when start fails and when the CLI is killed', async () => {
    const s = await shell(`tsdocker run -it --rm ${TEST_IMAGE} tsd-no-such-cmd; r=$?; stty -g > stty.after; echo rc=$r`, /^rc=\d+$/m);
    expect(s).toMatch(/^tsdocker: Error response from daemon: /m);
    expect(s).toMatch(/^rc=127$/m);
    expect(stty('stty.after')).toBe(stty('stty.before'));

    await shell(`tsdocker run -it --rm --sig-proxy=false ${TEST_IMAGE} sh`, /^\/ #\s*$/m);
    // Not proxied: held as docker 28 holds them, the third SIGTERM ends the CLI (exit 1).
    const pid = cliPid();
    for (let i = 0; i < 3; i++) {
      process.kill(pid, 'SIGTERM');
      await sleep(200);
    }
    await until(/^\$\s*$/m);
    await shell('r=$?; stty -g > stty.after; echo rc=$r', /^rc=1$/m);
    expect(stty('stty.after')).toBe(stty('stty.before'));
  });
});
