// The events ring on disk: the SQLite `events` table (see src/state/schema.ts).
// A batch is one transaction of prepared inserts plus one range delete of the
// rows beyond the bound, so writing costs a few microseconds per event.
import type { EventMessage } from '../api/types';
import type { Db } from '../state/db';
import { EVENTS_KEPT, type EventStore } from './events';

export class SqliteEventStore implements EventStore {
  private readonly insert;
  private readonly trim;
  private readonly writeBatch;

  constructor(
    private readonly db: Db,
    private readonly capacity = EVENTS_KEPT,
  ) {
    this.insert = db.prepare('INSERT INTO events (time_nano, message) VALUES (?, ?)');
    this.trim = db.prepare('DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?');
    this.writeBatch = db.transaction((events: readonly EventMessage[]) => {
      for (const e of events) this.insert.run(BigInt(e.timeNano), JSON.stringify(e));
      this.trim.run(this.capacity);
    });
  }

  load(): EventMessage[] {
    const rows = this.db.prepare('SELECT message FROM events ORDER BY seq DESC LIMIT ?').all(this.capacity) as { message: string }[];
    return rows.reverse().map((r) => JSON.parse(r.message) as EventMessage);
  }

  append(events: readonly EventMessage[]): void {
    this.writeBatch(events);
  }
}
