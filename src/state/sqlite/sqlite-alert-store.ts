/**
 * The alert store in a SQLite file (better-sqlite3): by default the operator's own
 * `<home>/.slipway/operator.db`, beside the lease and the operator store, in tables of its own.
 */
import Database from 'better-sqlite3';
import { SlipwayError } from '../../core/errors.js';
import type { AlertRecord, AlertStore, SilenceRecord } from '../alert-store.js';

type Row = Record<string, unknown>;

export class SqliteAlertStore implements AlertStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    try {
      this.#db = new Database(file, { timeout: 5000 });
      this.#db.pragma('journal_mode = WAL');
      this.#db.exec(`
        create table if not exists alert_states (
          fingerprint text primary key, rule text not null, labels text not null, severity text not null,
          owner text not null, summary text not null, status text not null, starts_at text not null,
          ends_at text, notified_status text, last_notified_at text
        ) strict;
        create table if not exists alert_silences (
          id text primary key, matchers text not null, starts_at text not null, ends_at text not null,
          created_by text not null, comment text not null
        ) strict;
        create table if not exists alert_cursor (id integer primary key check (id = 1), seq integer not null) strict;
      `);
    } catch (error) {
      throw new SlipwayError('state', `cannot open the alert store ${file}`, { cause: error });
    }
  }

  async alerts(): Promise<AlertRecord[]> {
    const rows = this.#db
      .prepare('select * from alert_states order by starts_at, fingerprint')
      .all() as Row[];
    return rows.map(toAlert);
  }

  async putAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    const put = this.#db.prepare(
      `insert into alert_states values (@fingerprint, @rule, @labels, @severity, @owner, @summary, @status,
         @startsAt, @endsAt, @notifiedStatus, @lastNotifiedAt)
       on conflict (fingerprint) do update set rule = excluded.rule, labels = excluded.labels,
         severity = excluded.severity, owner = excluded.owner, summary = excluded.summary,
         status = excluded.status, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
         notified_status = excluded.notified_status, last_notified_at = excluded.last_notified_at`,
    );
    this.#db.transaction(() => {
      for (const a of alerts) put.run({ ...a, labels: JSON.stringify(a.labels) });
    })();
  }

  async pruneResolved(before: string): Promise<number> {
    return this.#db.prepare(`delete from alert_states where status = 'resolved' and ends_at < ?`).run(before)
      .changes;
  }

  async cursor(): Promise<number> {
    const row = this.#db.prepare('select seq from alert_cursor where id = 1').get() as Row | undefined;
    return row ? Number(row['seq']) : 0;
  }

  async setCursor(seq: number): Promise<void> {
    this.#db
      .prepare(
        'insert into alert_cursor (id, seq) values (1, ?) on conflict (id) do update set seq = excluded.seq',
      )
      .run(seq);
  }

  async silences(): Promise<SilenceRecord[]> {
    const rows = this.#db.prepare('select * from alert_silences order by starts_at, id').all() as Row[];
    return rows.map((r) => ({
      id: String(r['id']),
      matchers: JSON.parse(String(r['matchers'])) as Record<string, string>,
      startsAt: String(r['starts_at']),
      endsAt: String(r['ends_at']),
      createdBy: String(r['created_by']),
      comment: String(r['comment']),
    }));
  }

  async putSilence(s: SilenceRecord): Promise<void> {
    this.#db
      .prepare(
        `insert into alert_silences values (?, ?, ?, ?, ?, ?)
         on conflict (id) do update set matchers = excluded.matchers, starts_at = excluded.starts_at,
           ends_at = excluded.ends_at, created_by = excluded.created_by, comment = excluded.comment`,
      )
      .run(s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.createdBy, s.comment);
  }

  async deleteSilence(id: string): Promise<boolean> {
    return this.#db.prepare('delete from alert_silences where id = ?').run(id).changes > 0;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function toAlert(r: Row): AlertRecord {
  return {
    fingerprint: String(r['fingerprint']),
    rule: String(r['rule']),
    labels: JSON.parse(String(r['labels'])) as Record<string, string>,
    severity: String(r['severity']),
    owner: String(r['owner']),
    summary: String(r['summary']),
    status: String(r['status']) as AlertRecord['status'],
    startsAt: String(r['starts_at']),
    endsAt: r['ends_at'] === null ? null : String(r['ends_at']),
    notifiedStatus:
      r['notified_status'] === null ? null : (String(r['notified_status']) as AlertRecord['status']),
    lastNotifiedAt: r['last_notified_at'] === null ? null : String(r['last_notified_at']),
  };
}
