/**
 * A generic webhook: the notification as JSON, signed with HMAC-SHA256 over
 * `<timestamp>.<body>` with a shared secret (from an environment variable), in
 * `X-Slipway-Signature: sha256=<hex>` with `X-Slipway-Timestamp: <unix seconds>`, so a receiver
 * can check it came from Slipway and refuse replays (`verifyWebhookSignature`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Notification } from '../notification.js';
import { type Notifier, postJson } from '../notifier.js';

export class WebhookNotifier implements Notifier {
  readonly type = 'webhook' as const;
  readonly channel: string;
  readonly #url: string;
  readonly #secret: string;

  constructor({
    channel,
    url,
    secret,
  }: { readonly channel: string; readonly url: string; readonly secret: string }) {
    this.channel = channel;
    this.#url = url;
    this.#secret = secret;
  }

  async send(n: Notification): Promise<void> {
    const body = JSON.stringify({ version: 1, ...n });
    const timestamp = String(Math.floor(Date.now() / 1000));
    await postJson(this.channel, this.#url, body, {
      headers: {
        'x-slipway-timestamp': timestamp,
        'x-slipway-signature': webhookSignature(this.#secret, timestamp, body),
      },
    });
  }
}

export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers: whether the signature is right (constant-time). */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
): boolean {
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
