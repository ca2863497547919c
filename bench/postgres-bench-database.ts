/**
 * A fresh PostgreSQL database for one bench run, made on the server `SLIPWAY_BENCH_PG_URL` (else
 * `SLIPWAY_TEST_PG_URL`) names and dropped when the run ends, so a bench never reads or leaves
 * anything in a database someone uses. The URL carries a password: only its host, port and the
 * database name are ever printed.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  readonly name: string;
  /** The fresh database's URL (with the password: pass it on, never print it). */
  readonly url: string;
  /** `host:port/name`, for output. */
  readonly label: string;
  drop(): Promise<void>;
}

/** The server URL the benches use, or a one-line refusal naming the variables. */
export function benchServerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env['SLIPWAY_BENCH_PG_URL']?.trim() || env['SLIPWAY_TEST_PG_URL']?.trim();
  if (!url) {
    console.error(
      'bench: --engine postgres needs a server: export SLIPWAY_BENCH_PG_URL=postgres://user:password@host:5432/postgres (a role that may create databases)',
    );
    process.exit(2);
  }
  return url;
}

/** Creates `slipway_bench_<prefix>_<random>` on the bench server. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const admin = benchServerUrl();
  const name = `slipway_bench_${prefix}_${randomBytes(4).toString('hex')}`;
  const onAdmin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await onAdmin(`CREATE DATABASE "${name}"`);
  const parsed = new URL(admin);
  parsed.pathname = `/${name}`;
  return {
    name,
    url: parsed.toString(),
    label: `${parsed.hostname}:${parsed.port || '5432'}/${name}`,
    drop: () => onAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
