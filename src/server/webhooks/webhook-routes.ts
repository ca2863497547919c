/**
 * `POST /hooks/github` and `POST /hooks/bitbucket`. In order: the signature header must be
 * present (401, before any byte of the body is read); the body is read up to the limit (413,
 * enforced while streaming); the HMAC-SHA256 over the raw bytes must match (401); the delivery
 * must be new (409, see below); then the payload is read (JSON, or GitHub's form-encoded `payload=`
 * field, see webhook-payload.ts) and a push to the watched branch asks the watcher for a sync
 * (202 accepted) and anything else is acknowledged and ignored (202 ignored, 200 for a ping).
 *
 * A replay answers 409 Conflict, not 401: the request did prove it knows the secret (it is a
 * copy of a genuine delivery), so it is not an authentication failure; it conflicts with a
 * delivery already received. 409 keeps "forged" (401) and "duplicate" (409) apart in logs and
 * in the provider's delivery history. The check runs after the signature so unauthenticated
 * callers can neither probe nor fill the replay memory.
 */
import { z } from 'zod';
import type { SyncRequester } from '../../operator/operator.js';
import type { Logger } from '../../telemetry/logger.js';
import { readLimitedBody } from '../read-limited-body.js';
import type { RouteDefinition } from '../route-definition.js';
import { type BranchPush, parseBitbucketPush, parseGitHubPush } from './push-payloads.js';
import type { ReplayGuard } from './replay-guard.js';
import { webhookPayload } from './webhook-payload.js';
import { verifySignature } from './webhook-signature.js';

export const WebhookResultSchema = z.object({
  status: z.enum(['accepted', 'ignored', 'pong']),
  reason: z.string().optional(),
  head: z.string().optional(),
});
type WebhookResult = z.infer<typeof WebhookResultSchema>;

interface Provider {
  readonly id: 'github' | 'bitbucket';
  readonly title: string;
  readonly signatureHeader: string;
  readonly deliveryHeader: string;
  readonly eventHeader: string;
  readonly pushEvent: string;
  readonly pingEvent: string | undefined;
  readonly parse: (payload: unknown) => BranchPush[];
}

const PROVIDERS: readonly Provider[] = [
  {
    id: 'github',
    title: 'GitHub',
    signatureHeader: 'X-Hub-Signature-256',
    deliveryHeader: 'X-GitHub-Delivery',
    eventHeader: 'X-GitHub-Event',
    pushEvent: 'push',
    pingEvent: 'ping',
    parse: (payload) => {
      const push = parseGitHubPush(payload);
      return push ? [push] : [];
    },
  },
  {
    id: 'bitbucket',
    title: 'Bitbucket Cloud',
    signatureHeader: 'X-Hub-Signature',
    deliveryHeader: 'X-Request-UUID',
    eventHeader: 'X-Event-Key',
    pushEvent: 'repo:push',
    pingEvent: undefined,
    parse: parseBitbucketPush,
  },
];

export interface WebhookRouteOptions {
  readonly secrets: { readonly github?: string; readonly bitbucket?: string };
  readonly branch: string;
  readonly sync: SyncRequester;
  readonly replayGuard: ReplayGuard;
  readonly maxBodyBytes: number;
  readonly logger?: Logger;
}

export function webhookRoutes(options: WebhookRouteOptions): RouteDefinition[] {
  return PROVIDERS.map((provider) => webhookRoute(provider, options));
}

function webhookRoute(provider: Provider, options: WebhookRouteOptions): RouteDefinition {
  const { secrets, branch, sync, replayGuard, maxBodyBytes, logger } = options;
  const secret = secrets[provider.id];
  return {
    method: 'post',
    path: `/hooks/${provider.id}`,
    operationId: `${provider.id}Webhook`,
    summary: `${provider.title} push webhook (HMAC-SHA256 signed)`,
    tag: 'webhooks',
    access: 'webhook',
    rawBody: true,
    headers: [
      { name: provider.signatureHeader, description: '`sha256=<hex HMAC of the raw body>`', required: true },
      {
        name: provider.deliveryHeader,
        description: 'unique delivery id (replays are refused)',
        required: true,
      },
      { name: provider.eventHeader, description: `\`${provider.pushEvent}\` is acted on`, required: true },
    ],
    responses: {
      200: { description: 'ping acknowledged', schema: WebhookResultSchema },
      202: { description: 'push accepted (sync requested) or ignored', schema: WebhookResultSchema },
      400: { description: 'missing delivery id or malformed payload' },
      401: { description: 'missing or wrong signature' },
      404: { description: 'this provider has no secret configured' },
      409: { description: 'replayed delivery' },
      413: { description: `body larger than ${maxBodyBytes} bytes` },
    },
    handle: async function handleWebhook(c) {
      if (!secret)
        return c.json({ error: 'not_found', message: `${provider.title} webhooks are not configured` }, 404);
      const signature = c.req.header(provider.signatureHeader);
      if (!signature) return c.json({ error: 'unauthorized', message: 'missing signature' }, 401);
      const body = await readLimitedBody(c.req.raw, maxBodyBytes);
      if (!verifySignature(secret, body, signature)) {
        logger?.warn({ provider: provider.id }, 'webhook signature mismatch');
        return c.json({ error: 'unauthorized', message: 'bad signature' }, 401);
      }
      const delivery = c.req.header(provider.deliveryHeader);
      if (!delivery)
        return c.json({ error: 'invalid_argument', message: `missing ${provider.deliveryHeader}` }, 400);
      if (
        !replayGuard.admit([`${provider.id}:id:${delivery}`, `${provider.id}:sig:${signature.toLowerCase()}`])
      ) {
        logger?.warn({ provider: provider.id, delivery }, 'webhook delivery replayed');
        return c.json({ error: 'conflict', message: 'delivery already received' }, 409);
      }
      const event = c.req.header(provider.eventHeader) ?? '';
      const contentType = c.req.header('Content-Type');
      const result = outcome(provider, event, () => webhookPayload(body, contentType), branch);
      logger?.info({ provider: provider.id, delivery, event, ...result }, 'webhook received');
      if (result.status === 'accepted') sync.notify('webhook', result.head);
      return c.json(result satisfies WebhookResult, result.status === 'pong' ? 200 : 202);
    },
  };
}

function outcome(provider: Provider, event: string, payload: () => unknown, branch: string): WebhookResult {
  if (event === provider.pingEvent) return { status: 'pong' };
  if (event !== provider.pushEvent) return { status: 'ignored', reason: `event ${event || '(none)'}` };
  const pushes = provider.parse(payload());
  const ours = pushes.find((p) => p.branch === branch);
  if (!ours) {
    const others = pushes.map((p) => p.branch).join(', ');
    return {
      status: 'ignored',
      reason: others ? `push to ${others}, watching ${branch}` : 'no branch updated',
    };
  }
  if (ours.head === undefined) return { status: 'ignored', reason: `branch ${branch} deleted` };
  return { status: 'accepted', head: ours.head };
}
