// Test helpers about processes: waiting for a condition, and whether a pid
// still runs.
import { readFileSync } from 'node:fs';

/** Polls `cond` every 20 ms; throws after `ms`. */
export async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A live process (zombies awaiting their reaper count as dead). */
export function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
