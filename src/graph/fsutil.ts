// Small durable-filesystem helpers shared by the graph's stores.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';

/** fsync a directory so a rename or create inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A name for a temporary entry: `prefix` and 16 random hex digits. */
export function randomName(prefix: string): string {
  return `${prefix}${randomBytes(8).toString('hex')}`;
}
