/**
 * Opens the state adapters a project's `state:` configuration names: the release state store
 * for the CLI, and for the operator the state store with its operator store and leader lease.
 * SQLite is the default (`.slipway/state.db`; the operator's own records in
 * `<home>/.slipway/operator.db`). With `state: { type: postgres, url_env: X }` all three live in
 * that PostgreSQL database, so every operator sharing it competes for one lease and fences its
 * writes against the same term. The URL is read from the environment variable only, and no
 * error shows its password.
 */
import path from 'node:path';
import { InvalidArgumentError, SlipwayError } from '../core/errors.js';
import type { ProjectConfig } from '../project/schemas.js';
import type { AlertStore } from '../state/alert-store.js';
import type { LeaderLease } from '../state/leader-lease.js';
import type { OperatorStore } from '../state/operator-store.js';
import { openPostgresAlertStore } from '../state/postgres/postgres-alert-store.js';
import { openPostgresLeaderLease } from '../state/postgres/postgres-leader-lease.js';
import { openPostgresOperatorStore } from '../state/postgres/postgres-operator-store.js';
import { openPostgresStateStore } from '../state/postgres/postgres-state-store.js';
import { SqliteAlertStore } from '../state/sqlite/sqlite-alert-store.js';
import { SqliteLeaderLease } from '../state/sqlite/sqlite-leader-lease.js';
import { SqliteOperatorStore } from '../state/sqlite/sqlite-operator-store.js';
import { openSqliteStateStore } from '../state/sqlite/sqlite-state-store.js';
import type { StateStore } from '../state/state-store.js';

export type StateConfig = NonNullable<ProjectConfig['state']>;

export const DEFAULT_STATE_PATH = '.slipway/state.db';

export interface StateEnvironment {
  /** Where the environment variables come from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The operator's state, opened together and closed together. */
export interface OperatorStateAdapters {
  readonly state: StateStore;
  readonly store: OperatorStore;
  readonly lease: LeaderLease;
  /** What alerting notified, its event cursor and the silences (beside the operator store). */
  readonly alerts: AlertStore;
  /** `postgres` when the store and lease are shared by every operator using the database. */
  readonly kind: StateConfig['type'];
  close(): Promise<void>;
}

/**
 * The state store of a project whose folder is `root` (a SQLite path is relative to it).
 *
 * @example
 * const state = await openStateStore(project.config.state, { root: projectDir });
 */
export async function openStateStore(
  config: StateConfig | undefined,
  { root, env = process.env }: StateEnvironment & { readonly root: string },
): Promise<StateStore> {
  if (config === undefined || config.type === 'sqlite')
    return openSqliteStateStore({ path: path.resolve(root, config?.path ?? DEFAULT_STATE_PATH) });
  const url = stateUrl(config, env);
  return withVariableHint(config.url_env, () => openPostgresStateStore({ url }));
}

/**
 * The operator store that goes with a project's state store, for what the CLI records the way
 * the operator does (the incidents of failed post-deploy verifications): SQLite `operator.db`
 * beside the state file, or the same PostgreSQL database (then shared with the operators).
 */
export async function openProjectOperatorStore(
  config: StateConfig | undefined,
  { root, env = process.env }: StateEnvironment & { readonly root: string },
): Promise<OperatorStore> {
  if (config === undefined || config.type === 'sqlite') {
    const stateFile = path.resolve(root, config?.path ?? DEFAULT_STATE_PATH);
    return new SqliteOperatorStore(path.join(path.dirname(stateFile), 'operator.db'));
  }
  const url = stateUrl(config, env);
  return withVariableHint(config.url_env, () => openPostgresOperatorStore({ url }));
}

/**
 * The operator's state store, operator store, leader lease and alert store. SQLite keeps today's layout in
 * the operator home (`.slipway/state.db`, `.slipway/operator.db`) whatever path the project
 * names, since the home is the operator's own; PostgreSQL puts all three in the database.
 */
export async function openOperatorState(
  config: StateConfig | undefined,
  { home, env = process.env }: StateEnvironment & { readonly home: string },
): Promise<OperatorStateAdapters> {
  if (config === undefined || config.type === 'sqlite') {
    const file = path.join(home, '.slipway', 'operator.db');
    const state = openSqliteStateStore({ path: path.join(home, DEFAULT_STATE_PATH) });
    try {
      const store = new SqliteOperatorStore(file);
      const lease = new SqliteLeaderLease({ file });
      const alerts = new SqliteAlertStore(file);
      return adapters('sqlite', state, store, lease, alerts);
    } catch (error) {
      await state.close();
      throw error;
    }
  }
  const url = stateUrl(config, env);
  return withVariableHint(config.url_env, async () => {
    const state = await openPostgresStateStore({ url });
    const opened: { close(): Promise<void> }[] = [state];
    try {
      const store = await openPostgresOperatorStore({ url });
      opened.push(store);
      const lease = await openPostgresLeaderLease({ url });
      opened.push(lease);
      const alerts = await openPostgresAlertStore({ url });
      return adapters('postgres', state, store, lease, alerts);
    } catch (error) {
      await Promise.allSettled(opened.map((o) => o.close()));
      throw error;
    }
  });
}

/** The URL a PostgreSQL state config names, from its environment variable. */
export function stateUrl(
  config: Extract<StateConfig, { type: 'postgres' }>,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const url = env[config.url_env];
  if (url === undefined || url.trim() === '') {
    throw new InvalidArgumentError(`the state store's URL variable ${config.url_env} is not set`, {
      hint: `export ${config.url_env}=postgres://user:password@host:5432/database (slipway.yaml: state.url_env)`,
    });
  }
  return url.trim();
}

function adapters(
  kind: StateConfig['type'],
  state: StateStore,
  store: OperatorStore,
  lease: LeaderLease,
  alerts: AlertStore,
): OperatorStateAdapters {
  return {
    state,
    store,
    lease,
    alerts,
    kind,
    close: async () => {
      const results = await Promise.allSettled([alerts.close(), store.close(), lease.close(), state.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** Adds which variable the URL came from to a failure to open the database. */
async function withVariableHint<T>(variable: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    const opening =
      error instanceof InvalidArgumentError ||
      (error instanceof SlipwayError && error.message.startsWith('cannot connect'));
    if (!opening) throw error;
    const hint = `${error.hint ?? 'check the URL'} (the URL comes from ${variable})`;
    throw error instanceof InvalidArgumentError
      ? new InvalidArgumentError(error.message, { hint, cause: error.cause })
      : new SlipwayError(error.code, error.message, { hint, cause: error.cause });
  }
}
