// Opens the daemon's database under the data root: WAL mode (readers never block
// the writer, and a commit is atomic even if the process dies mid-write), foreign
// keys on, and every pending migration applied before anything else reads it.
// It holds every container's Env: its files are 0600.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors';
import { PRIVATE_FILE_MODE } from './dirs';
import { MIGRATIONS, type Migration } from './schema';

export type Db = Database.Database;

export const DB_FILE = 'tsdocker.db';

export interface OpenedDb {
  db: Db;
  /** Names of the migrations this open applied. */
  applied: string[];
}

/**
 * Creates the database file 0600 before SQLite does (it would make it 0644), and
 * narrows files an older tsdockerd left 0644. SQLite gives a new -wal and -shm the
 * mode of the database file.
 */
function closeDbFiles(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, PRIVATE_FILE_MODE);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
}

export function openDb(dataRoot: string, migrations: readonly Migration[] = MIGRATIONS): OpenedDb {
  const path = join(dataRoot, DB_FILE);
  closeDbFiles(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const applied = migrate(db, migrations);
  return { db, applied };
}

function migrate(db: Db, migrations: readonly Migration[]): string[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`database schema version ${current} is newer than this tsdockerd knows (${migrations.length}): refusing to start`);
  }
  const applied: string[] = [];
  for (let v = current; v < migrations.length; v++) {
    const m = migrations[v]!;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
    applied.push(m.name);
  }
  return applied;
}

/** A stable value in the meta table, created on first use. */
export function metaValue(db: Db, key: string, create: () => string): string {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  if (row) return row.value;
  const value = create();
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string }).value;
}

/** The daemon's ID as /info reports it (Docker: a UUID, stable across restarts). */
export function daemonId(db: Db): string {
  return metaValue(db, 'daemon_id', () => randomUUID());
}
