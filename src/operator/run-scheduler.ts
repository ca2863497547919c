/**
 * Scheduled runs: each environment with a `schedule` (cron) in slipway.yaml gets its data
 * refreshed on time. Runs of one environment never overlap (a tick that finds one still running
 * is skipped and logged, not queued), and a run missed while the operator was down runs once on
 * start. Uses croner for the cron arithmetic; the run itself is injected (the releases code).
 */
import { Cron } from 'croner';
import { errorMessage, InvalidArgumentError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';

export interface ScheduledRunRequest {
  readonly environment: string;
  /** The occurrence this run is for. */
  readonly scheduledFor: Date;
  readonly reason: 'schedule' | 'catch-up';
}

export interface RunSchedulerOptions {
  readonly schedules: readonly { readonly environment: string; readonly cron: string }[];
  /** When the environment's last scheduled run started (from the state store). */
  readonly lastRunAt: (environment: string) => Promise<Date | undefined>;
  readonly run: (request: ScheduledRunRequest) => Promise<void>;
  readonly logger?: Logger;
  /** IANA time zone of the cron expressions (default UTC). */
  readonly timezone?: string;
  readonly now?: () => Date;
}

export interface ScheduleStatus {
  readonly environment: string;
  readonly cron: string;
  readonly running: boolean;
  readonly nextRunAt: string | undefined;
}

export class RunScheduler {
  readonly #options: RunSchedulerOptions;
  readonly #jobs = new Map<string, Cron>();
  readonly #running = new Map<string, Promise<void>>();
  #stopped = false;

  constructor(options: RunSchedulerOptions) {
    for (const { environment, cron } of options.schedules) {
      try {
        new Cron(cron, { paused: true, timezone: options.timezone ?? 'UTC' }).stop();
      } catch (error) {
        throw new InvalidArgumentError(`environment '${environment}' has an invalid schedule '${cron}'`, {
          hint: 'a cron expression such as "*/15 * * * *" (every 15 minutes)',
          cause: error,
        });
      }
    }
    this.#options = options;
  }

  /** Runs what was missed, then schedules every environment. */
  async start(): Promise<void> {
    const { schedules, timezone = 'UTC', now = () => new Date() } = this.#options;
    for (const { environment, cron } of schedules) {
      const last = await this.#options.lastRunAt(environment);
      const probe = new Cron(cron, { paused: true, timezone });
      const due = last ? probe.nextRuns(1, last)[0] : undefined;
      probe.stop();
      if (due && due.getTime() <= now().getTime()) {
        this.#trigger({ environment, scheduledFor: due, reason: 'catch-up' });
      }
      const job = new Cron(cron, { timezone, name: `run:${environment}` }, () => {
        this.#trigger({ environment, scheduledFor: now(), reason: 'schedule' });
      });
      this.#jobs.set(environment, job);
    }
  }

  status(): ScheduleStatus[] {
    return this.#options.schedules.map(({ environment, cron }) => ({
      environment,
      cron,
      running: this.#running.has(environment),
      nextRunAt: this.#jobs.get(environment)?.nextRun()?.toISOString(),
    }));
  }

  /** Stops scheduling and waits for runs in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const job of this.#jobs.values()) job.stop();
    this.#jobs.clear();
    await Promise.allSettled([...this.#running.values()]);
  }

  /** Resolves when no run is in progress (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  #trigger(request: ScheduledRunRequest): void {
    const { logger } = this.#options;
    if (this.#stopped) return;
    if (this.#running.has(request.environment)) {
      logger?.warn(
        { environment: request.environment },
        'scheduled run skipped: the previous run is still going',
      );
      return;
    }
    const running = this.#options
      .run(request)
      .catch((error: unknown) => {
        logger?.error({ environment: request.environment, err: errorMessage(error) }, 'scheduled run failed');
      })
      .finally(() => this.#running.delete(request.environment));
    this.#running.set(request.environment, running);
  }
}
