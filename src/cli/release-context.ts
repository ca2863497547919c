/**
 * What the release commands share: the project as of the working tree or a commit (`--commit`),
 * the commit it records, the state store under `.slipway/`, the environment locks taken before
 * the warehouse is opened, and the test-only step hook. The CLI is where concrete adapters are
 * chosen; the release context below it only knows the interfaces.
 */
import { appendFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { openObservability } from '../app/open-observability.js';
import { openSqlParser } from '../app/open-sql-parser.js';
import { openProjectOperatorStore, openStateStore as openProjectState } from '../app/open-state.js';
import { openWarehouse } from '../app/open-warehouse.js';
import { type ReleaseCommit as CommitInfo, releaseCommit } from '../core/commit.js';
import { ConflictError, WarehouseError } from '../core/errors.js';
import type { ReleaseStrategy } from '../core/release.js';
import { checkoutCommit, hasUncommittedChanges, readCommit } from '../git/git-commit.js';
import { loadProject } from '../project/load-project.js';
import type { Project } from '../project/project.js';
import { withEnvironmentLocks } from '../release/environment-lock.js';
import type { ReleaseServices } from '../release/execute-release.js';
import type { StepHook } from '../release/release-steps.js';
import { strategyFor } from '../release/strategies/strategy-for.js';
import type { OperatorStore } from '../state/operator-store.js';
import type { StateStore } from '../state/state-store.js';
import { createLogger } from '../telemetry/logger.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { type GlobalOptions, projectCacheDir, projectDir } from './project-context.js';

export interface LoadedRelease {
  readonly project: Project;
  /** The project folder itself (where `.slipway/` lives), even when the code came from a commit. */
  readonly root: string;
  readonly commit: CommitInfo | undefined;
  dispose(): Promise<void>;
}

/** Loads the project from the working tree, or as of `commit` when given. */
export async function loadReleaseProject(options: GlobalOptions, commit?: string): Promise<LoadedRelease> {
  const root = projectDir(options);
  const parser = await openSqlParser({ cacheDir: projectCacheDir(root) });
  try {
    if (commit !== undefined) {
      const checkout = await checkoutCommit(root, commit);
      try {
        const project = await loadProject(checkout.dir, { parser });
        return { project, root, commit: releaseCommit(checkout.commit), dispose: checkout.remove };
      } catch (error) {
        await checkout.remove();
        throw error;
      }
    }
    const project = await loadProject(root, { parser });
    const read = await readCommit(root);
    const head = read ? releaseCommit(read) : undefined;
    const info =
      head && (await hasUncommittedChanges(root))
        ? { ...head, message: `${head.message} (working tree with uncommitted changes)` }
        : head;
    return { project, root, commit: info, dispose: async () => {} };
  } finally {
    await parser.close();
  }
}

/** The project's state store (`state:` in slipway.yaml; SQLite under `root` by default). */
export async function openStateStore(project: Project, root: string): Promise<StateStore> {
  return openProjectState(project.config.state, { root });
}

/** The strategy a release to the environment uses: `--strategy`, else the environment's, else direct. */
export function environmentStrategy(
  project: Project,
  environment: string,
  override?: string,
): ReleaseStrategy {
  return strategyFor(override ?? project.config.environments[environment]?.strategy ?? 'direct').name;
}

export function currentActor(): string {
  const fromEnv = process.env['SLIPWAY_ACTOR'];
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * The step hook of a command. Only tests set these variables: `SLIPWAY_TEST_STEP_LOG=FILE`
 * appends each step's name to FILE; `SLIPWAY_TEST_PAUSE_AT=STEP` stops at STEP, says so on
 * stderr (`slipway-paused STEP`) and waits for SIGUSR2 (or for the test to kill it).
 */
export function stepHookFromEnvironment(): StepHook | undefined {
  const log = process.env['SLIPWAY_TEST_STEP_LOG'];
  const pauseAt = process.env['SLIPWAY_TEST_PAUSE_AT'];
  if (!log && !pauseAt) return undefined;
  return async function testStep(step: string): Promise<void> {
    if (log) appendFileSync(log, `${step}\n`);
    if (step !== pauseAt) return;
    // A log line like any other, so the log stream stays JSON.
    process.stderr.write(
      `${JSON.stringify({ level: 30, time: new Date().toISOString(), service: 'slipway', msg: `slipway-paused ${step}` })}\n`,
    );
    const keepAlive = setInterval(() => {}, 60_000);
    await new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
    clearInterval(keepAlive);
  };
}

export interface ReleaseSession extends ReleaseServices {
  readonly actor: string;
  /**
   * The operator store beside the state store (opened on first use, closed with the session):
   * where the incidents of failed post-deploy verifications are recorded, as the operator does.
   */
  incidentStore(): Promise<OperatorStore>;
}

/**
 * Runs `body` with the environments locked, then the warehouse open: the lock comes first, so
 * a second command is told who holds the environment rather than hitting the engine's lock.
 */
export async function withReleaseSession<T>(
  loaded: Pick<LoadedRelease, 'project' | 'root'>,
  {
    environments,
    purpose,
    wait,
    readOnlyWarehouse = false,
    warehouseEnvironment = environments[0],
  }: {
    readonly environments: readonly string[];
    readonly purpose: string;
    readonly wait?: boolean | number;
    readonly readOnlyWarehouse?: boolean;
    /** Whose warehouse connection to open (default: the first environment's). */
    readonly warehouseEnvironment?: string;
  },
  body: (session: ReleaseSession) => Promise<T>,
): Promise<T> {
  const state = await openStateStore(loaded.project, loaded.root);
  let operatorStore: Promise<OperatorStore> | undefined;
  const incidentStore = (): Promise<OperatorStore> => {
    operatorStore ??= openProjectOperatorStore(loaded.project.config.state, { root: loaded.root });
    return operatorStore;
  };
  const logger = createLogger({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'warn' });
  const observability = openObservability({ logger });
  const { telemetry } = observability;
  try {
    return await withEnvironmentLocks(
      state,
      environments,
      { purpose, ...(wait === undefined ? {} : { wait }) },
      async () => {
        const step = stepHookFromEnvironment();
        await step?.('locked');
        let warehouse: Warehouse | undefined;
        try {
          warehouse = await openWarehouse(loaded.project, {
            root: loaded.root,
            readOnly: readOnlyWarehouse,
            observer: observability.statementObserver,
            ...(warehouseEnvironment === undefined ? {} : { environment: warehouseEnvironment }),
          });
          await openNow(warehouse);
          return await body({
            state,
            warehouse,
            telemetry,
            logger,
            actor: currentActor(),
            incidentStore,
            ...(step ? { step } : {}),
          });
        } finally {
          await warehouse?.close();
        }
      },
    );
  } finally {
    // A store that failed to open has told its caller so already; there is nothing to close.
    await (await operatorStore?.catch(() => undefined))?.close();
    await state.close();
    await observability.shutdown();
  }
}

/**
 * Opens the warehouse at once (adapters open lazily) so that an engine held by another process
 * — DuckDB allows one writing process per file — is reported as the conflict it is (exit 3).
 */
export async function openNow(warehouse: Warehouse): Promise<void> {
  try {
    await warehouse.listSchemas();
  } catch (error) {
    if (error instanceof WarehouseError && /in use by another process/.test(error.message)) {
      throw new ConflictError(error.message, {
        cause: error,
        hint: error.hint ?? 'try again when it has finished',
      });
    }
    throw error;
  }
}
