/**
 * Alerts and silences over HTTP, on the alert store the operator's evaluator reads: viewers list
 * the alerts (firing and recently resolved) and the silences; deployers — the role that operates
 * releases — create a silence (label matchers on rule, environment, model, severity, owner; a
 * start, an end, a comment; the creator is the token's name) and delete one. The evaluator reads
 * the silences at every turn, so a new silence holds back the next notification it covers.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SlipwayError } from '../core/errors.js';
import type { AlertStore, SilenceRecord } from '../state/alert-store.js';
import { readLimitedBody } from './read-limited-body.js';
import { parseJson, type RouteDefinition } from './route-definition.js';

export interface AlertEndpoints {
  readonly store: AlertStore;
  readonly now?: () => Date;
}

const MATCHER_LABELS = ['rule', 'environment', 'model', 'severity', 'owner', 'reason'] as const;
const label = z.string().min(1).max(200);
const Matchers = z
  .object(
    Object.fromEntries(MATCHER_LABELS.map((k) => [k, label.optional()])) as Record<
      (typeof MATCHER_LABELS)[number],
      z.ZodOptional<typeof label>
    >,
  )
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), 'at least one matcher');
const SilenceBody = z
  .object({
    matchers: Matchers,
    startsAt: z.iso.datetime({ offset: true }).optional().describe('default now'),
    endsAt: z.iso.datetime({ offset: true }),
    comment: z.string().min(1).max(2000),
  })
  .strict();
const SilenceSchema = z.object({
  id: z.string(),
  matchers: z.record(z.string(), z.string()),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
  state: z.enum(['pending', 'active', 'expired']),
});
const AlertSchema = z.object({
  fingerprint: z.string(),
  rule: z.string(),
  labels: z.record(z.string(), z.string()),
  severity: z.string(),
  owner: z.string(),
  summary: z.string(),
  status: z.enum(['firing', 'resolved']),
  startsAt: z.string(),
  endsAt: z.string().nullable(),
  notifiedStatus: z.enum(['firing', 'resolved']).nullable(),
  lastNotifiedAt: z.string().nullable(),
  silencedBy: z.string().nullable(),
});
const IdParams = z.object({ id: z.string().min(1).max(200) });
const MAX_BODY = 16 * 1024;

export function alertRoutes({ store, now = () => new Date() }: AlertEndpoints): RouteDefinition[] {
  const stateOf = (s: SilenceRecord, at: number): 'pending' | 'active' | 'expired' =>
    at < Date.parse(s.startsAt) ? 'pending' : at < Date.parse(s.endsAt) ? 'active' : 'expired';
  return [
    {
      method: 'get',
      path: '/api/v1/alerts',
      operationId: 'listAlerts',
      summary: 'Alerts: firing, and resolved within the last day, with the silence covering each',
      tag: 'alerts',
      access: 'viewer',
      responses: { 200: { description: 'OK', schema: z.object({ alerts: z.array(AlertSchema) }) } },
      handle: async function listAlerts(c) {
        const at = now();
        const silences = await store.silences();
        const alerts = (await store.alerts()).map((a) => ({
          ...a,
          silencedBy:
            silences.find(
              (s) =>
                stateOf(s, at.getTime()) === 'active' &&
                Object.entries(s.matchers).every(([k, v]) => a.labels[k] === v),
            )?.id ?? null,
        }));
        return c.json({ alerts: z.array(AlertSchema).parse(alerts) });
      },
    },
    {
      method: 'get',
      path: '/api/v1/silences',
      operationId: 'listSilences',
      summary: 'Silences, with whether each is pending, active or expired',
      tag: 'alerts',
      access: 'viewer',
      responses: { 200: { description: 'OK', schema: z.object({ silences: z.array(SilenceSchema) }) } },
      handle: async function listSilences(c) {
        const at = now().getTime();
        const silences = (await store.silences()).map((s) => ({ ...s, state: stateOf(s, at) }));
        return c.json({ silences: z.array(SilenceSchema).parse(silences) });
      },
    },
    {
      method: 'post',
      path: '/api/v1/silences',
      operationId: 'createSilence',
      summary: 'Silence the alerts whose labels equal every matcher, from startsAt to endsAt',
      tag: 'alerts',
      access: 'deployer',
      body: SilenceBody,
      responses: {
        200: { description: 'the silence', schema: SilenceSchema },
        400: { description: 'invalid matchers or times' },
      },
      handle: async function createSilence(c) {
        const actor = c.get('actor');
        if (!actor) throw new Error('a role-protected route ran without an actor');
        const raw = await readLimitedBody(c.req.raw, MAX_BODY);
        const body = SilenceBody.parse(raw.length === 0 ? {} : parseJson(raw));
        const at = now();
        const startsAt = new Date(body.startsAt ?? at.toISOString()).toISOString();
        const endsAt = new Date(body.endsAt).toISOString();
        if (Date.parse(endsAt) <= Date.parse(startsAt) || Date.parse(endsAt) <= at.getTime())
          return c.json(
            { error: 'invalid_argument', message: 'endsAt must be after startsAt and in the future' },
            400,
          );
        const matchers = Object.fromEntries(
          Object.entries(body.matchers).filter((e): e is [string, string] => e[1] !== undefined),
        );
        const silence: SilenceRecord = {
          id: randomUUID(),
          matchers,
          startsAt,
          endsAt,
          createdBy: actor.name,
          comment: body.comment,
        };
        await store.putSilence(silence);
        return c.json(SilenceSchema.parse({ ...silence, state: stateOf(silence, at.getTime()) }));
      },
    },
    {
      method: 'delete',
      path: '/api/v1/silences/{id}',
      operationId: 'deleteSilence',
      summary: 'Delete a silence (its alerts notify again at the next evaluation)',
      tag: 'alerts',
      access: 'deployer',
      params: IdParams,
      responses: {
        200: { description: 'deleted', schema: z.object({ deleted: z.string() }) },
        404: { description: 'no such silence' },
      },
      handle: async function deleteSilence(c) {
        const { id } = IdParams.parse(c.req.param());
        if (!(await store.deleteSilence(id))) throw new SlipwayError('not_found', `no silence '${id}'`);
        return c.json({ deleted: id });
      },
    },
  ];
}
