/**
 * The generic signed webhook against a receiver that checks the HMAC-SHA256 signature the way a
 * user's endpoint would (`verifyWebhookSignature`) and refuses (401) a wrong one.
 */
import { verifyWebhookSignature, WebhookNotifier } from '../../src/alerting/notifiers/webhook-notifier.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { notifierContract, type Received } from './notifier-contract.js';

const SECRET = 'whsec-2c6f0e9b71a4';

notifierContract('WebhookNotifier', {
  setup: async () => {
    const receiver = await startHttpReceiver((req) => {
      const ok = verifyWebhookSignature(
        SECRET,
        String(req.headers['x-slipway-timestamp']),
        req.body,
        String(req.headers['x-slipway-signature']),
      );
      return ok ? { status: 204, body: '' } : { status: 401, body: '{"error":"bad signature"}' };
    });
    return {
      notifier: new WebhookNotifier({ channel: 'hooks', url: `${receiver.url}/alerts`, secret: SECRET }),
      received: async () =>
        receiver.requests.map((r): Received => {
          const body = JSON.parse(r.body) as {
            status: 'firing' | 'resolved';
            alerts: { rule: string; summary: string }[];
          };
          return {
            status: body.status,
            text: body.alerts.map((a) => `${a.rule} ${a.summary}`).join('\n'),
            raw: `${JSON.stringify(r.headers)}\n${r.body}`,
          };
        }),
      refuseNext: (n) => receiver.failNext(n),
      secrets: [SECRET],
      stop: () => receiver.stop(),
    };
  },
});
