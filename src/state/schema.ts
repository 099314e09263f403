// The daemon's SQLite schema, as ordered migrations. PRAGMA user_version holds
// the number of migrations applied; each runs once, in one transaction with the
// version bump, so a crash leaves the database at one version or the next.
//
// Tables
//   meta(key, value)            daemon-wide facts: the daemon ID, …
//
// Later migrations append here (never edit an applied one): each issue that
// needs tables adds a migration at the end and documents its tables above.

export interface Migration {
  /** What the migration does, for the start-up log. */
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'meta',
    sql: `CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
          ) STRICT;`,
  },
];
