/**
 * Signals from periodic readings of the operator's own process and its warehouse: `cpu_spike`
 * (percent of one core above `threshold`), `memory_spike` (resident set above `threshold` MiB) and
 * `warehouse_growth` (the warehouse's size grew more than `percent` within `over`). How long a
 * spike must last is the rule's `for`, applied by the evaluator.
 */
import { parseDuration } from '../core/duration.js';
import type { AlertRuleConfig } from '../project/alerts-schema.js';
import type { AlertSignal } from './alert-signal.js';

export interface ResourceReading {
  readonly at: Date;
  /** CPU time over wall time since the last reading, in percent of one core. */
  readonly cpuPercent: number;
  readonly rssBytes: number;
  /** The warehouse file's size, when it is a file (DuckDB). */
  readonly warehouseBytes?: number;
}

export class ResourceSignals {
  readonly #rules: readonly AlertRuleConfig[];
  readonly #sizes: { at: number; bytes: number }[] = [];

  constructor(rules: readonly AlertRuleConfig[]) {
    this.#rules = rules;
  }

  observe(reading: ResourceReading): AlertSignal[] {
    const at = reading.at.toISOString();
    const out: AlertSignal[] = [];
    for (const rule of this.#rules) {
      if (rule.kind === 'cpu_spike') {
        const limit = rule.threshold ?? 90;
        out.push({
          kind: 'cpu_spike',
          firing: reading.cpuPercent > limit,
          labels: {},
          summary: `operator CPU ${reading.cpuPercent.toFixed(0)} % of a core (limit ${limit} %)`,
          at,
        });
      } else if (rule.kind === 'memory_spike') {
        const limitMiB = rule.threshold ?? 1024;
        const mib = reading.rssBytes / 1024 / 1024;
        out.push({
          kind: 'memory_spike',
          firing: mib > limitMiB,
          labels: {},
          summary: `operator resident memory ${mib.toFixed(0)} MiB (limit ${limitMiB} MiB)`,
          at,
        });
      }
    }
    const growth = this.#rules.find((r) => r.kind === 'warehouse_growth');
    if (growth && reading.warehouseBytes !== undefined) {
      const over = parseDuration(growth.over ?? '1d') ?? 86_400_000;
      const now = reading.at.getTime();
      this.#sizes.push({ at: now, bytes: reading.warehouseBytes });
      while (this.#sizes.length > 1 && (this.#sizes[0]?.at ?? now) < now - over) this.#sizes.shift();
      const oldest = this.#sizes[0];
      if (oldest && oldest.at < now && oldest.bytes > 0) {
        const percent = ((reading.warehouseBytes - oldest.bytes) / oldest.bytes) * 100;
        const limit = growth.percent ?? 50;
        out.push({
          kind: 'warehouse_growth',
          firing: percent > limit,
          labels: {},
          summary: `warehouse grew ${percent.toFixed(0)} % (${oldest.bytes} → ${reading.warehouseBytes} bytes) within ${growth.over ?? '1d'} (limit ${limit} %)`,
          at: reading.at.toISOString(),
        });
      }
    }
    return out;
  }
}
