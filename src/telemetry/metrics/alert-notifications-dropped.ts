/**
 * `slipway_alert_notifications_dropped_total{channel,reason}`: alert notifications the dispatcher
 * gave up on — `failed` (every retry failed or timed out), `queue_full` (the channel's bounded
 * queue was full), `unconfigured` (its secret's variable is unset), `shutdown`. The channel is its
 * name in alerts.yaml (a handful per project), so the labels stay low-cardinality.
 */
import { Counter, type Registry } from 'prom-client';

export type AlertDropCounter = (channel: string, reason: string, count: number) => void;

/** Registers the counter in `registry` (the operator's /metrics registry). */
export function alertNotificationsDroppedCounter(registry: Registry): AlertDropCounter {
  const counter = new Counter({
    name: 'slipway_alert_notifications_dropped_total',
    help: 'Alert notifications dropped: retries exhausted, queue full, channel unconfigured or shutdown.',
    labelNames: ['channel', 'reason'],
    registers: [registry],
  });
  return (channel, reason, count) => counter.inc({ channel, reason }, count);
}
