/**
 * Slack through a stand-in incoming webhook (Slack cannot run here) that implements the published
 * format: POST JSON with `text` and/or `blocks`, answered `ok`; `invalid_blocks` (400) for more
 * than 50 blocks, a section or context text over 3000 characters, or a header over 150
 * (https://api.slack.com/messaging/webhooks#handling_errors, Block Kit reference limits).
 */
import { SlackNotifier } from '../../src/alerting/notifiers/slack-notifier.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { notifierContract, type Received } from './notifier-contract.js';

interface Block {
  type: string;
  text?: { type: string; text: string };
  elements?: { text: string }[];
}

function invalid(body: { text?: string; blocks?: Block[] }): string | undefined {
  if (!body.text && !body.blocks) return 'no_text';
  const blocks = body.blocks ?? [];
  if (blocks.length > 50) return 'invalid_blocks';
  for (const b of blocks) {
    if (b.type === 'header' && (b.text?.text.length ?? 0) > 150) return 'invalid_blocks';
    if (b.type === 'section' && (b.text?.text.length ?? 0) > 3000) return 'invalid_blocks';
    if (b.type === 'context' && (b.elements ?? []).some((e) => e.text.length > 3000)) return 'invalid_blocks';
  }
  return undefined;
}

notifierContract('SlackNotifier', {
  setup: async () => {
    const secretPath = '/services/T0SLIPWAY/B0ALERTS/q8Zr2xWebhookSecret';
    const receiver = await startHttpReceiver((req) => {
      if (req.path !== secretPath) return { status: 404, body: 'no_service', contentType: 'text/plain' };
      const problem = invalid(JSON.parse(req.body) as { text?: string; blocks?: Block[] });
      return problem
        ? { status: 400, body: problem, contentType: 'text/plain' }
        : { status: 200, body: 'ok', contentType: 'text/plain' };
    });
    const webhookUrl = `${receiver.url}${secretPath}`;
    return {
      notifier: new SlackNotifier({ channel: 'data-alerts', webhookUrl }),
      received: async () =>
        receiver.requests.map((r): Received => {
          const body = JSON.parse(r.body) as { text: string; blocks: Block[] };
          const texts = [
            body.text,
            ...body.blocks.flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text)]),
          ];
          return {
            status: body.text.startsWith('[RESOLVED') ? 'resolved' : 'firing',
            text: texts.join('\n'),
            raw: `${JSON.stringify(r.headers)}\n${r.body}`,
          };
        }),
      refuseNext: (n) => receiver.failNext(n),
      secrets: ['q8Zr2xWebhookSecret', webhookUrl],
      stop: () => receiver.stop(),
    };
  },
});
