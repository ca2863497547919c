/**
 * Metrics read from finished spans: each span Slipway makes says what it is in `slipway.span`
 * (`release`, `run`, `model`, `checks`, `switch`, `verify`, `lock`, `sync`, `webhook`, `git`,
 * `ci`) and carries its low-cardinality facts as attributes; this processor turns it into the
 * matching observation. Warehouse statements are recognised by `db.system.name`.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SlipwayMetrics } from './slipway-metrics.js';

const ERROR = 2; // SpanStatusCode.ERROR

export class SpanMetrics implements SpanProcessor {
  readonly #m: SlipwayMetrics;

  constructor(metrics: SlipwayMetrics) {
    this.#m = metrics;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const a = span.attributes;
    const text = (key: string, fallback = 'unknown'): string => {
      const value = a[key];
      return value === undefined ? fallback : String(value);
    };
    const seconds = span.duration[0] + span.duration[1] / 1e9;
    const failed = span.status.code === ERROR;
    const outcome = failed ? 'failed' : 'succeeded';
    const m = this.#m;
    if (a['db.system.name'] !== undefined) {
      m.statementDuration.observe(
        { system: text('db.system.name'), operation: text('db.operation.name') },
        seconds,
      );
      return;
    }
    const environment = text('slipway.environment');
    switch (a['slipway.span']) {
      case 'release':
        m.releaseDuration.observe(
          { environment, kind: text('slipway.kind'), strategy: text('slipway.strategy'), outcome },
          seconds,
        );
        m.releases.inc({ environment, kind: text('slipway.kind'), outcome });
        return;
      case 'run':
        m.runDuration.observe({ environment, outcome }, seconds);
        m.runs.inc({ environment, outcome });
        return;
      case 'model': {
        const model = text('slipway.model');
        m.modelBuildDuration.observe({ model, outcome }, seconds);
        const rows = a['slipway.rows'];
        if (typeof rows === 'number' && rows > 0) m.modelRows.inc({ model }, rows);
        return;
      }
      case 'checks':
        for (const status of ['pass', 'fail', 'warn', 'error'] as const) {
          for (const severity of ['error', 'warn'] as const) {
            const n = a[`slipway.checks.${status}.${severity}`];
            if (typeof n === 'number' && n > 0) m.checkResults.inc({ status, severity }, n);
          }
        }
        return;
      case 'switch':
        m.switchDuration.observe({ environment }, seconds);
        return;
      case 'verify':
        m.verifyDuration.observe(
          { environment, outcome: a['slipway.passed'] === false ? 'failed' : outcome },
          seconds,
        );
        return;
      case 'lock':
        m.lockWait.observe({ environment }, seconds);
        return;
      case 'sync':
        m.syncs.inc({ trigger: text('slipway.trigger'), outcome });
        return;
      case 'webhook':
        m.webhooks.inc({ provider: text('slipway.provider'), status: text('http.response.status_code') });
        return;
      case 'git':
        if (failed) m.gitErrors.inc({ operation: text('slipway.git.operation') });
        return;
      case 'ci':
        m.ciRuns.inc({ outcome });
        return;
      default:
        return;
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
