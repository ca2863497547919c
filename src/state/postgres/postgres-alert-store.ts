/**
 * The alert store in PostgreSQL, shared by every operator of the deployment (a standby that takes
 * over knows what the leader already notified). Its tables sit in the state schema beside the
 * others; they are created, when missing, under an advisory lock, so two operators starting at
 * once create them once.
 */
import type { AlertRecord, AlertStore, SilenceRecord } from '../alert-store.js';
import { migratePostgres } from './postgres-migrations.js';
import { type PgRow, PostgresPool } from './postgres-pool.js';

const SCHEMA_SQL = `
  create table if not exists alert_states (
    fingerprint text primary key, rule text not null, labels json not null, severity text not null,
    owner text not null, summary text not null, status text not null, starts_at timestamptz not null,
    ends_at timestamptz, notified_status text, last_notified_at timestamptz
  );
  create table if not exists alert_silences (
    id text primary key, matchers json not null, starts_at timestamptz not null, ends_at timestamptz not null,
    created_by text not null, comment text not null
  );
  create table if not exists alert_cursor (id integer primary key check (id = 1), seq bigint not null);
`;

/**
 * @example
 * const alerts = await openPostgresAlertStore({ url });
 * await alerts.putSilence({ id, matchers: { environment: 'prod' }, ... });
 */
export async function openPostgresAlertStore(options: {
  readonly url: string;
  readonly connectTimeoutMs?: number;
}): Promise<PostgresAlertStore> {
  const pool = await PostgresPool.open({
    url: options.url,
    role: 'alert store',
    poolSize: 2,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  try {
    await migratePostgres(pool);
    await pool.transaction('alert-schema', (tx) => tx.query(SCHEMA_SQL));
  } catch (error) {
    await pool.close();
    throw error;
  }
  return new PostgresAlertStore(pool);
}

export class PostgresAlertStore implements AlertStore {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  async alerts(): Promise<AlertRecord[]> {
    const rows = await this.#pool.query('select * from alert_states order by starts_at, fingerprint');
    return rows.map(toAlert);
  }

  async putAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    await this.#pool.transaction(undefined, async (tx) => {
      for (const a of alerts)
        await tx.query(
          `insert into alert_states values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           on conflict (fingerprint) do update set rule = excluded.rule, labels = excluded.labels,
             severity = excluded.severity, owner = excluded.owner, summary = excluded.summary,
             status = excluded.status, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
             notified_status = excluded.notified_status, last_notified_at = excluded.last_notified_at`,
          [
            a.fingerprint,
            a.rule,
            JSON.stringify(a.labels),
            a.severity,
            a.owner,
            a.summary,
            a.status,
            a.startsAt,
            a.endsAt,
            a.notifiedStatus,
            a.lastNotifiedAt,
          ],
        );
    });
  }

  async pruneResolved(before: string): Promise<number> {
    const rows = await this.#pool.query(
      `delete from alert_states where status = 'resolved' and ends_at < $1 returning fingerprint`,
      [before],
    );
    return rows.length;
  }

  async cursor(): Promise<number> {
    const [row] = await this.#pool.query('select seq from alert_cursor where id = 1');
    return row ? Number(row['seq']) : 0;
  }

  async setCursor(seq: number): Promise<void> {
    await this.#pool.query(
      'insert into alert_cursor (id, seq) values (1, $1) on conflict (id) do update set seq = excluded.seq',
      [seq],
    );
  }

  async silences(): Promise<SilenceRecord[]> {
    const rows = await this.#pool.query('select * from alert_silences order by starts_at, id');
    return rows.map((r) => ({
      id: String(r['id']),
      matchers: r['matchers'] as Record<string, string>,
      startsAt: iso(r['starts_at']) as string,
      endsAt: iso(r['ends_at']) as string,
      createdBy: String(r['created_by']),
      comment: String(r['comment']),
    }));
  }

  async putSilence(s: SilenceRecord): Promise<void> {
    await this.#pool.query(
      `insert into alert_silences values ($1, $2, $3, $4, $5, $6)
       on conflict (id) do update set matchers = excluded.matchers, starts_at = excluded.starts_at,
         ends_at = excluded.ends_at, created_by = excluded.created_by, comment = excluded.comment`,
      [s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.createdBy, s.comment],
    );
  }

  async deleteSilence(id: string): Promise<boolean> {
    const rows = await this.#pool.query('delete from alert_silences where id = $1 returning id', [id]);
    return rows.length > 0;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

function toAlert(r: PgRow): AlertRecord {
  return {
    fingerprint: String(r['fingerprint']),
    rule: String(r['rule']),
    labels: r['labels'] as Record<string, string>,
    severity: String(r['severity']),
    owner: String(r['owner']),
    summary: String(r['summary']),
    status: String(r['status']) as AlertRecord['status'],
    startsAt: iso(r['starts_at']) as string,
    endsAt: iso(r['ends_at']),
    notifiedStatus:
      r['notified_status'] === null ? null : (String(r['notified_status']) as AlertRecord['status']),
    lastNotifiedAt: iso(r['last_notified_at']),
  };
}
