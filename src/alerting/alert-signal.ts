/**
 * What evaluation consumes: a condition of one kind, about one subject (labels such as the
 * environment), that now holds (`firing`) or has stopped holding. Signals come from the event log
 * (`signals-from-events.ts`), the process sampler and the operator's own state changes.
 */
import type { AlertKind } from '../project/alerts-schema.js';

export interface AlertSignal {
  readonly kind: AlertKind;
  readonly firing: boolean;
  /** The subject: `environment` always when there is one; others (`source`, `reason`) as needed. */
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly at: string;
}
