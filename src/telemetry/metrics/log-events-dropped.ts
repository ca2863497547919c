/**
 * `slipway_log_events_dropped_total{sink}`: log events a sink (Splunk HEC) dropped because its
 * bounded buffer was full or the collector refused them for good. In prom-client's default
 * registry, so the `/metrics` endpoint exports it with the rest.
 */
import { Counter } from 'prom-client';
import type { DropCounter } from '../logs/drop-counter.js';

let counter: Counter<'sink'> | undefined;

/** The counter for one sink; registered once per process. */
export function logEventsDroppedCounter(sink: string): DropCounter {
  counter ??= new Counter({
    name: 'slipway_log_events_dropped_total',
    help: 'Log events a sink dropped (buffer full or refused by the collector).',
    labelNames: ['sink'],
  });
  const bound = counter;
  return { inc: (n = 1) => bound.inc({ sink }, n) };
}
