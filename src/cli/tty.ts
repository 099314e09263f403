// The terminal side of `run -t`, `exec -t`, `attach`: raw mode on stdin
// (restored on every way out: normal end, error, signal, exit), the window
// size the container's pty should have (sent after start and on SIGWINCH), and
// the detach key sequence (default Ctrl-P Ctrl-Q) as moby/term parses it.
import type { ReadStream } from 'node:tty';

/**
 * Whether a descriptor is a terminal, asked of the tty binding (what
 * tty.isatty asks) so that a plain `run` does not make process.stdout, whose
 * making loads node:stream and, for a pipe or a terminal, node:net.
 */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  try {
    const binding = (process as unknown as { binding(name: string): { isTTY?: (fd: number) => boolean } }).binding('tty_wrap');
    if (typeof binding.isTTY === 'function') return binding.isTTY(fd);
  } catch {
    // no such binding: ask the stream
  }
  return [process.stdin, process.stdout, process.stderr][fd]!.isTTY === true;
}

/** Height and width of the terminal on stdout, or [0, 0] when stdout is not one. */
export function terminalSize(): [number, number] {
  if (!isTerminal(1)) return [0, 0];
  const [w, h] = process.stdout.getWindowSize();
  return [h, w];
}

/** Puts a terminal stdin in raw mode until the returned function (idempotent) is called. */
export function rawMode(): () => void {
  const stdin = process.stdin as ReadStream;
  if (!stdin.isTTY) return () => {};
  stdin.setRawMode(true);
  // libuv's raw mode keeps output processing (ONLCR), so the container's pty's
  // "\r\n" would reach the screen as "\r\r\n"; docker's (moby/term) clears
  // OPOST too. setRawMode(false) restores the terminal's settings as they were.
  process.getBuiltinModule('node:child_process').spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    for (const sig of FATAL_SIGNALS) process.off(sig, onSignal);
    stdin.setRawMode(false);
  };
  // A signal that would end the CLI must not leave the terminal raw; one that
  // something else handles (the signal proxy) does not end it.
  const onSignal = (sig: NodeJS.Signals) => {
    if (process.listenerCount(sig) > 1) return;
    restore();
    process.kill(process.pid, sig);
  };
  process.on('exit', restore);
  for (const sig of FATAL_SIGNALS) process.on(sig, onSignal);
  return restore;
}

const FATAL_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'];

export const DEFAULT_DETACH_KEYS = Buffer.from([16, 17]);

/** moby/term's ToBytes: "ctrl-p,ctrl-q", "ctrl-x,y", "a,DEL" → bytes. */
export function parseDetachKeys(spec: string): Buffer {
  const codes: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const ctrl = /^ctrl-(.)$/.exec(key);
    const index = ctrl ? CTRL_KEYS.indexOf(ctrl[1]!) : -1;
    if (index >= 0) codes.push(index);
    else if (key === 'DEL') codes.push(127);
    else throw new Error(`Unknown character: '${key}'`);
  }
  return Buffer.from(codes);
}

/** ctrl-@ is 0, ctrl-a 1 … ctrl-z 26, then ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_. */
const CTRL_KEYS = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/**
 * Watches input for the detach sequence. Bytes that may start it are held
 * back until it completes (then the input ends: detach) or breaks (then they
 * are passed on), so the container never sees a complete sequence.
 */
export class DetachDetector {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /** What to forward from `chunk`, and whether the sequence completed. */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // A broken sequence: its held bytes were input after all.
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = byte === this.keys[0] ? 1 : 0;
      if (this.matched === 0) out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

/**
 * Sends the terminal's size now (retrying 10 times, like docker, for a process
 * not quite started) and on every SIGWINCH. Returns the function that stops it.
 */
export function monitorTerminalSize(resize: (height: number, width: number) => Promise<void>, warn: (msg: string) => void): () => void {
  let stopped = false;
  const send = async (): Promise<boolean> => {
    const [h, w] = terminalSize();
    if (h === 0 && w === 0) return true;
    try {
      await resize(h, w);
      return true;
    } catch {
      return false;
    }
  };
  void (async () => {
    if (await send()) return;
    for (let retry = 0; retry < 10 && !stopped; retry++) {
      await new Promise((r) => setTimeout(r, (retry + 1) * 10));
      if (await send()) return;
    }
    if (!stopped) warn('failed to resize tty, using default size\n');
  })();
  const onWinch = () => void send();
  process.on('SIGWINCH', onWinch);
  return () => {
    stopped = true;
    process.off('SIGWINCH', onWinch);
  };
}
