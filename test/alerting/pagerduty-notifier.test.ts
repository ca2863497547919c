/**
 * PagerDuty through a stand-in Events API v2 (PagerDuty cannot run here) implementing the
 * published `POST /v2/enqueue`: a JSON event with `routing_key` (32 characters), `event_action`
 * trigger|acknowledge|resolve, and for a trigger a `payload` with `summary` (≤ 1024 characters),
 * `source` and `severity` critical|error|warning|info; answered 202
 * `{"status":"success","message":"Event processed","dedup_key":…}`, or 400 `invalid event`.
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 */
import { PagerDutyNotifier } from '../../src/alerting/notifiers/pagerduty-notifier.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { notifierContract, type Received } from './notifier-contract.js';

interface PdEvent {
  routing_key?: string;
  event_action?: string;
  dedup_key?: string;
  payload?: { summary?: string; source?: string; severity?: string; class?: string };
}

const ROUTING_KEY = 'R0UT1NGKEYslipway0123456789abcde';

function problem(e: PdEvent): string | undefined {
  if (e.routing_key !== ROUTING_KEY) return 'invalid routing key';
  if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action ?? '')) return 'invalid event_action';
  if (e.event_action !== 'trigger') return e.dedup_key ? undefined : 'dedup_key is required';
  const p = e.payload;
  if (!p?.summary || p.summary.length > 1024) return 'payload.summary is required (≤ 1024)';
  if (!p.source) return 'payload.source is required';
  if (!['critical', 'error', 'warning', 'info'].includes(p.severity ?? ''))
    return 'payload.severity is invalid';
  return undefined;
}

notifierContract('PagerDutyNotifier', {
  setup: async () => {
    const receiver = await startHttpReceiver((req) => {
      if (req.path !== '/v2/enqueue') return { status: 404, body: '{}' };
      const event = JSON.parse(req.body) as PdEvent;
      const why = problem(event);
      return why
        ? {
            status: 400,
            body: JSON.stringify({
              status: 'invalid event',
              message: 'Event object is invalid',
              errors: [why],
            }),
          }
        : {
            status: 202,
            body: JSON.stringify({
              status: 'success',
              message: 'Event processed',
              dedup_key: event.dedup_key,
            }),
          };
    });
    return {
      notifier: new PagerDutyNotifier({
        channel: 'oncall',
        routingKey: ROUTING_KEY,
        url: `${receiver.url}/v2/enqueue`,
      }),
      received: async () => {
        // One PagerDuty event per alert: fold each send's events into one message per action.
        const events = receiver.requests.map((r) => JSON.parse(r.body) as PdEvent);
        const out: Received[] = [];
        for (const [i, e] of events.entries()) {
          const status = e.event_action === 'resolve' ? 'resolved' : 'firing';
          const previous = out.at(-1);
          const text = `${e.payload?.class ?? ''} ${e.payload?.summary ?? ''} ${e.dedup_key ?? ''}`;
          const raw = receiver.requests[i]?.body ?? '';
          if (previous && previous.status === status && e.dedup_key !== 'fp0')
            out[out.length - 1] = {
              status,
              text: `${previous.text}\n${text}`,
              raw: `${previous.raw}\n${raw}`,
            };
          else out.push({ status, text, raw });
        }
        return out;
      },
      refuseNext: (n) => receiver.failNext(n),
      secrets: [ROUTING_KEY],
      // The routing key is how Events v2 addresses the service: it is in every event by protocol.
      secretsInMessage: [ROUTING_KEY],
      stop: () => receiver.stop(),
    };
  },
});
