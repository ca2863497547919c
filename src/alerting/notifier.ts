/**
 * The channel seam: a notifier delivers one notification to one channel (Slack, email,
 * PagerDuty, a signed webhook, Alertmanager) or throws a `NotifierError` that names the channel
 * and the answer, never the secret (webhook URL, password, routing key) it was configured with.
 * Every notifier runs `test/alerting/notifier-contract.ts`.
 */
import { SlipwayError } from '../core/errors.js';
import type { Notification } from './notification.js';

export interface Notifier {
  /** The channel's name in alerts.yaml. */
  readonly channel: string;
  readonly type: 'slack' | 'email' | 'pagerduty' | 'webhook' | 'alertmanager';
  send(notification: Notification): Promise<void>;
}

export class NotifierError extends SlipwayError {
  constructor(channel: string, message: string, options: { cause?: unknown } = {}) {
    super('notifier', `channel ${channel}: ${message}`, options);
    this.name = 'NotifierError';
  }
}

/** POSTs JSON; resolves with the response text on 2xx, else a NotifierError without the URL. */
export async function postJson(
  channel: string,
  url: string,
  body: unknown,
  {
    headers = {},
    timeoutMs = 10_000,
  }: { readonly headers?: Record<string, string>; readonly timeoutMs?: number } = {},
): Promise<string> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new NotifierError(
      channel,
      `not delivered (${error instanceof Error ? error.name : 'network error'})`,
    );
  }
  const answer = await response.text();
  if (!response.ok)
    throw new NotifierError(channel, `refused with HTTP ${response.status}: ${answer.slice(0, 200)}`);
  return answer;
}
