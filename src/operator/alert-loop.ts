/**
 * The operator's alerting: every `intervalMs` while it leads, the events appended since the
 * cursor (releases, gates, verifications, runs) become signals, with the run-duration check
 * after each finished run; the operator's own conditions (git unreachable, the lease lost) and
 * the resource readings (CPU, memory, warehouse size) join them; the evaluator decides what is
 * due (grouping, de-duplication, repeat interval, resolves, silences) and records it; the
 * deliveries go to the dispatcher's bounded queues, so no channel can hold up a release. The
 * cursor is kept in the alert store after the notified state, so a restart re-reads at most a
 * few events — which the evaluator's de-duplication absorbs — and never re-sends a resolve.
 */

import { AlertEvaluator, type Delivery } from '../alerting/alert-evaluator.js';
import type { AlertSignal } from '../alerting/alert-signal.js';
import { type ResourceReading, ResourceSignals } from '../alerting/resource-signals.js';
import { runDurationSignal } from '../alerting/run-duration-signal.js';
import { signalsFromEvent } from '../alerting/signals-from-events.js';
import { errorMessage } from '../core/errors.js';
import type { AlertsFile } from '../project/alerts-schema.js';
import type { AlertRecord, AlertStore } from '../state/alert-store.js';
import type { EventRecord, StateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';

export const DEFAULT_ALERT_INTERVAL_MS = 5000;
const EVENTS_PER_TICK = 500;

export interface AlertLoopOptions {
  readonly state: StateStore;
  readonly store: AlertStore;
  /** The rules in force (alerts.yaml of the commit being reconciled); undefined: none. */
  readonly config: () => Promise<AlertsFile | undefined>;
  /** Hands deliveries to the dispatcher; must not wait for them. */
  readonly deliver: (deliveries: readonly Delivery[]) => void;
  /** The last git fetch's error, while fetching fails. */
  readonly gitError?: () => string | undefined;
  /** A reading of the process and the warehouse (only when a resource rule exists). */
  readonly readResources?: () => Promise<ResourceReading>;
  readonly intervalMs?: number;
  readonly logger?: Logger;
  readonly now?: () => Date;
}

export class AlertLoop {
  readonly #o: AlertLoopOptions;
  readonly #pending: AlertSignal[] = [];
  #configText: string | undefined;
  #durationRules: AlertsFile['rules'] = [];
  #evaluator: AlertEvaluator | undefined;
  #resources: ResourceSignals | undefined;
  #cursor: number | undefined;
  /** With no cursor yet (a new alert store), older events are history, not news. */
  readonly #since: number;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #running = false;
  #warned = false;
  #turns = 0;

  constructor(options: AlertLoopOptions) {
    this.#o = options;
    this.#since = (options.now?.() ?? new Date()).getTime();
  }

  /** The alerts as last evaluated (the API's list of firing alerts reads the store instead). */
  get alerts(): readonly AlertRecord[] {
    return this.#evaluator?.alerts ?? [];
  }

  /** Turns completed (each read the new events and flushed what was due). */
  get turns(): number {
    return this.#turns;
  }

  /** Starts evaluating (on becoming leader). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    // Another leader may have notified meanwhile: read the stored state and cursor again.
    this.#evaluator = undefined;
    this.#configText = undefined;
    this.#cursor = undefined;
    this.#schedule(0);
  }

  /** Stops evaluating and waits for the turn in progress (on losing the lease, on shutdown). */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
  }

  /** An operator condition (`operator_degraded`), applied at the next turn. */
  degraded(reason: 'lease_lost' | 'git_unreachable', firing: boolean, summary: string): void {
    this.#pending.push({
      kind: 'operator_degraded',
      firing,
      labels: { reason },
      summary,
      at: this.#now().toISOString(),
    });
  }

  /** One turn now (also used on stepping down, to tell the lease was lost). Never throws. */
  evaluate(): Promise<void> {
    // Turns run one after another; `#evaluate` never rejects, so the chain never breaks.
    const turn = (this.#tick ?? Promise.resolve()).then(() => this.#evaluate());
    this.#tick = turn;
    return turn;
  }

  #schedule(ms: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.evaluate().finally(() => this.#schedule(this.#o.intervalMs ?? DEFAULT_ALERT_INTERVAL_MS));
    }, ms);
    this.#timer.unref();
  }

  async #evaluate(): Promise<void> {
    try {
      const evaluator = await this.#ready();
      const { events, lastSeq } = await this.#newEvents();
      if (evaluator) {
        for (const event of events) for (const s of await this.#signalsOf(event)) evaluator.observe(s);
        const gitError = this.#o.gitError?.();
        this.degraded(
          'git_unreachable',
          gitError !== undefined,
          gitError === undefined ? 'git fetches succeed again' : `git fetch failed: ${gitError}`,
        );
        for (const s of this.#pending.splice(0)) evaluator.observe(s);
        if (this.#resources && this.#o.readResources)
          for (const s of this.#resources.observe(await this.#o.readResources())) evaluator.observe(s);
        const deliveries = await evaluator.flush();
        if (deliveries.length > 0) this.#o.deliver(deliveries);
      } else this.#pending.length = 0;
      if (lastSeq !== undefined) {
        await this.#o.store.setCursor(lastSeq);
        this.#cursor = lastSeq;
      }
      this.#warned = false;
      this.#turns += 1;
    } catch (error) {
      // The state store unreachable: the next turn tries again from the same cursor.
      if (!this.#warned) this.#o.logger?.warn({ error: errorMessage(error) }, 'alert evaluation failed');
      this.#warned = true;
    }
  }

  /** The evaluator of the rules in force; a new one (reading the stored state) when they change. */
  async #ready(): Promise<AlertEvaluator | undefined> {
    const config = await this.#o.config();
    const text = config ? JSON.stringify(config) : undefined;
    if (text !== this.#configText || (config && !this.#evaluator)) {
      await this.#evaluator?.persist();
      this.#configText = text;
      this.#durationRules = config?.rules.filter((r) => r.kind === 'run_duration') ?? [];
      this.#evaluator = undefined;
      this.#resources = undefined;
      if (config) {
        const evaluator = new AlertEvaluator({
          config,
          store: this.#o.store,
          ...(this.#o.now ? { now: this.#o.now } : {}),
        });
        await evaluator.load();
        this.#evaluator = evaluator;
        const kinds = new Set(config.rules.map((r) => r.kind));
        if (kinds.has('cpu_spike') || kinds.has('memory_spike') || kinds.has('warehouse_growth'))
          this.#resources = new ResourceSignals(config.rules);
      }
    }
    return this.#evaluator;
  }

  /** The events after the cursor, and the sequence number to move the cursor to. */
  async #newEvents(): Promise<{ events: EventRecord[]; lastSeq: number | undefined }> {
    const stored = this.#cursor ?? (await this.#o.store.cursor());
    const fresh = this.#cursor === undefined && stored === 0;
    this.#cursor = stored;
    const events = await this.#o.state.listEvents({ afterSeq: stored, limit: EVENTS_PER_TICK });
    const lastSeq = events.at(-1)?.seq;
    // A new alert store: only what happened since alerting started; the cursor moves past the rest.
    return { events: fresh ? events.filter((e) => Date.parse(e.at) >= this.#since) : events, lastSeq };
  }

  async #signalsOf(event: EventRecord): Promise<AlertSignal[]> {
    const signals = signalsFromEvent(event);
    const rules = this.#evaluator ? this.#durationRules : [];
    if (
      rules.length > 0 &&
      (event.type === 'run.succeeded' || event.type === 'run.failed') &&
      event.environment
    ) {
      const window = Math.max(...rules.map((r) => r.window ?? 20));
      const runs = await this.#o.state.listRuns({ environment: event.environment, limit: window + 1 });
      // Runs newest first; the one this event finished and those before it.
      const upTo = runs.findIndex((r) => r.id === event.runId);
      for (const rule of rules) {
        const s = runDurationSignal(upTo >= 0 ? runs.slice(upTo) : runs, {
          window: rule.window ?? 20,
          factor: rule.factor ?? 1,
        });
        if (s) signals.push({ ...s, rule: rule.name });
      }
    }
    return signals;
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }
}
