/**
 * The event log read as alert signals: what starts a condition and what ends it. A pure mapping,
 * so it is tested with plain event records.
 *
 * | event                           | signal                                   |
 * |---------------------------------|------------------------------------------|
 * | release.failed                  | release_failed fires                     |
 * | release.succeeded               | release_failed, release_rolled_back end  |
 * | release.rolled_back             | release_rolled_back fires                |
 * | release.verification_failed     | verification_failed fires                |
 * | release.verified                | verification_failed ends                 |
 * | release.gate_failed             | check_failed fires (error-severity check)|
 * | release.gate_passed             | check_failed ends                        |
 * | run.failed / run.succeeded      | run_failed fires / ends                  |
 * | sync.failed (git)               | operator_degraded fires (git unreachable)|
 */
import type { EventRecord } from '../state/state-store.js';
import type { AlertSignal } from './alert-signal.js';

export function signalsFromEvent(event: EventRecord): AlertSignal[] {
  const environment = event.environment;
  const env: Record<string, string> = environment === undefined ? {} : { environment };
  const at = event.at;
  const data = (event.data ?? {}) as Record<string, unknown>;
  const detail =
    typeof data['summary'] === 'string'
      ? data['summary']
      : typeof data['error'] === 'string'
        ? data['error']
        : '';
  const about = (what: string): string => `${what}${detail ? `: ${detail}` : ''}`;
  const release = event.releaseId ?? 'release';
  const where = environment ?? 'an environment';
  const signal = (kind: AlertSignal['kind'], firing: boolean, summary: string): AlertSignal => ({
    kind,
    firing,
    labels: env,
    summary,
    at,
  });
  switch (event.type) {
    case 'release.failed':
      return [signal('release_failed', true, about(`${release} to ${where} failed`))];
    case 'release.succeeded':
      return [
        signal('release_failed', false, `${release} to ${where} succeeded`),
        signal('release_rolled_back', false, `${release} to ${where} succeeded`),
      ];
    case 'release.rolled_back':
      return [signal('release_rolled_back', true, about(`${where} rolled back`))];
    case 'release.verification_failed':
      return [signal('verification_failed', true, about(`${release} in ${where} failed its verification`))];
    case 'release.verified':
      return [signal('verification_failed', false, `${release} in ${where} verified`)];
    case 'release.gate_failed':
      return [signal('check_failed', true, about(`error-severity checks failed for ${release} in ${where}`))];
    case 'release.gate_passed':
      return [signal('check_failed', false, `checks passed for ${release} in ${where}`)];
    case 'run.failed':
      return [signal('run_failed', true, about(`run ${event.runId ?? ''} of ${where} failed`))];
    case 'run.succeeded':
      return [signal('run_failed', false, `run ${event.runId ?? ''} of ${where} succeeded`)];
    default:
      return [];
  }
}
