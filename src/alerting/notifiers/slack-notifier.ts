/**
 * Slack incoming webhook: a Block Kit message (a header, one section per alert, a context line)
 * kept within Slack's limits — at most 50 blocks, 3000 characters per section text, 150 per
 * header — with a plain `text` fallback for notifications and old clients. The webhook URL is the
 * secret (from an environment variable); it is never in an error.
 * https://api.slack.com/messaging/webhooks, https://api.slack.com/reference/block-kit/blocks
 */
import { type Notification, notificationTitle } from '../notification.js';
import { type Notifier, postJson } from '../notifier.js';

export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_TEXT = 3000;
export const SLACK_MAX_HEADER = 150;

export class SlackNotifier implements Notifier {
  readonly type = 'slack' as const;
  readonly channel: string;
  readonly #webhookUrl: string;

  constructor({ channel, webhookUrl }: { readonly channel: string; readonly webhookUrl: string }) {
    this.channel = channel;
    this.#webhookUrl = webhookUrl;
  }

  async send(notification: Notification): Promise<void> {
    await postJson(this.channel, this.#webhookUrl, slackMessage(notification));
  }
}

export function slackMessage(n: Notification): { text: string; blocks: unknown[] } {
  const title = notificationTitle(n);
  const icon = n.status === 'firing' ? ':rotating_light:' : ':white_check_mark:';
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${title}`, SLACK_MAX_HEADER), emoji: true } },
  ];
  // Header + context + (maybe) the "more" line leave 47 sections for alerts.
  const room = SLACK_MAX_BLOCKS - 3;
  for (const alert of n.alerts.slice(0, room)) {
    const labels = Object.entries(alert.labels)
      .filter(([k]) => !['rule', 'severity', 'owner'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `${icon} *${escapeMrkdwn(alert.rule)}* (${alert.severity}, owner ${escapeMrkdwn(alert.owner)})${labels ? ` — ${escapeMrkdwn(labels)}` : ''}\n${escapeMrkdwn(alert.summary)}`,
          SLACK_MAX_TEXT,
        ),
      },
    });
  }
  if (n.alerts.length > room)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `…and ${n.alerts.length - room} more alerts` },
    });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: clip(`slipway · ${n.status}${n.repeat ? ' (repeat)' : ''} · ${n.groupKey}`, SLACK_MAX_TEXT),
      },
    ],
  });
  return { text: clip(`${title}: ${n.alerts[0]?.summary ?? ''}`, SLACK_MAX_TEXT), blocks };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack's mrkdwn escapes: &, <, >. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
