/**
 * The operator's JSON API under `/api/v1`: read routes for viewers, sync/approve/rollback for
 * deployers, pause/resume for admins. Every route calls the injected `OperatorBackend`.
 */
import { z } from 'zod';
import {
  ActionResultSchema,
  ActorSchema,
  CheckResultSchema,
  EnvironmentStatusSchema,
  type OperatorBackend,
  OperatorEventSchema,
  ReleaseSchema,
  RunSchema,
} from '../operator/operator-backend.js';
import { jsonRoute, type RouteDefinition } from './route-definition.js';

const name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
  .describe('environment name');
const EnvironmentParams = z.object({ name });
const IdParams = z.object({ id: z.string().min(1).max(200) });
const limit = z.coerce.number().int().min(1).max(500).default(50);
const ListQuery = z.object({ environment: name.optional(), limit });
const CheckQuery = ListQuery.extend({ releaseId: z.string().min(1).max(200).optional() });
const EventQuery = ListQuery.extend({ after: z.coerce.number().int().min(0).optional() });
const SyncBody = z.object({ environment: name.optional() });
const ApproveBody = z.object({ releaseId: z.string().optional(), comment: z.string().max(2000).optional() });
const RollbackBody = z.object({
  to: z.string().optional().describe('release id; default the previous release'),
  reason: z.string().max(2000).optional(),
});
const PauseBody = z.object({ reason: z.string().max(2000).optional() });

const NOT_FOUND = { 404: 'unknown environment or release' };
const ACTION_ERRORS = { ...NOT_FOUND, 409: 'the environment is busy, or there is nothing to do' };

/** Drops undefined keys, for the backend's optional fields. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

export function apiRoutes(backend: OperatorBackend): RouteDefinition[] {
  const base = '/api/v1';
  return [
    jsonRoute({
      backend,
      method: 'get',
      path: `${base}/whoami`,
      operationId: 'whoami',
      summary: 'The caller: token name and role',
      tag: 'auth',
      access: 'viewer',
      response: ActorSchema,
      run: async ({ actor }) => actor,
    }),
    jsonRoute({
      backend,
      method: 'get',
      path: `${base}/environments`,
      operationId: 'listEnvironments',
      summary: 'Environments with sync status, live release, pause and drift',
      tag: 'environments',
      access: 'viewer',
      response: z.object({ environments: z.array(EnvironmentStatusSchema) }),
      run: async ({ backend }) => ({ environments: [...(await backend.listEnvironments())] }),
    }),
    jsonRoute({
      backend,
      method: 'get',
      path: `${base}/environments/{name}`,
      operationId: 'getEnvironment',
      summary: 'One environment',
      tag: 'environments',
      access: 'viewer',
      params: EnvironmentParams,
      response: EnvironmentStatusSchema,
      errors: NOT_FOUND,
      run: ({ backend, params }) => backend.getEnvironment(params.name),
    }),
    jsonRoute({
      backend,
      method: 'get',
      path: `${base}/releases`,
      operationId: 'listReleases',
      summary: 'Releases, newest first, with commit, author, PR, trigger and actor',
      tag: 'releases',
      access: 'viewer',
      query: ListQuery,
      response: z.object({ releases: z.array(ReleaseSchema) }),
      run: async ({ backend, query }) => ({ releases: [...(await backend.listReleases(defined(query)))] }),
    }),
    jsonRoute({
      backend,
      method: 'get',
      path: `${base}/releases/{id}`,
      operationId: 'getRelease',
      summary: 'One release',
      tag: 'releases',
      access: 'viewer',
      params: IdParams,
      response: ReleaseSchema,
      errors: NOT_FOUND,
      run: ({ backend, params }) => backend.getRelease(params.id),
    }),
    jsonRoute({
      backend,
      method: 'get',
      path: `${base}/runs`,
      operationId: 'listRuns',
      summary: 'Scheduled and manual runs, newest first',
      tag: 'runs',
      access: 'viewer',
      query: ListQuery,
      response: z.object({ runs: z.array(RunSchema) }),
      run: async ({ backend, query }) => ({ runs: [...(await backend.listRuns(defined(query)))] }),
    }),
    jsonRoute({
      backend,
      method: 'get',
      path: `${base}/checks`,
      operationId: 'listCheckResults',
      summary: 'Data-quality check results, newest first',
      tag: 'checks',
      access: 'viewer',
      query: CheckQuery,
      response: z.object({ checks: z.array(CheckResultSchema) }),
      run: async ({ backend, query }) => ({ checks: [...(await backend.listCheckResults(defined(query)))] }),
    }),
    jsonRoute({
      backend,
      method: 'get',
      path: `${base}/events`,
      operationId: 'listEvents',
      summary: 'The event and audit log, oldest first after `after`',
      tag: 'events',
      access: 'viewer',
      query: EventQuery,
      response: z.object({ events: z.array(OperatorEventSchema) }),
      run: async ({ backend, query }) => ({ events: [...(await backend.listEvents(defined(query)))] }),
    }),
    jsonRoute({
      backend,
      method: 'post',
      path: `${base}/sync`,
      operationId: 'syncAll',
      summary: 'Fetch the branch and reconcile every environment now',
      tag: 'actions',
      access: 'deployer',
      body: SyncBody,
      status: 202,
      response: ActionResultSchema,
      errors: ACTION_ERRORS,
      run: ({ backend, body, actor }) => backend.sync(defined({ environment: body.environment, actor })),
    }),
    jsonRoute({
      backend,
      method: 'post',
      path: `${base}/environments/{name}/sync`,
      operationId: 'syncEnvironment',
      summary: 'Reconcile one environment now',
      tag: 'actions',
      access: 'deployer',
      params: EnvironmentParams,
      status: 202,
      response: ActionResultSchema,
      errors: ACTION_ERRORS,
      run: ({ backend, params, actor }) => backend.sync({ environment: params.name, actor }),
    }),
    jsonRoute({
      backend,
      method: 'post',
      path: `${base}/environments/{name}/approve`,
      operationId: 'approve',
      summary: 'Approve the release waiting at the manual gate',
      tag: 'actions',
      access: 'deployer',
      params: EnvironmentParams,
      body: ApproveBody,
      response: ActionResultSchema,
      errors: ACTION_ERRORS,
      run: ({ backend, params, body, actor }) =>
        backend.approve(defined({ environment: params.name, ...body, actor })),
    }),
    jsonRoute({
      backend,
      method: 'post',
      path: `${base}/environments/{name}/rollback`,
      operationId: 'rollback',
      summary: 'Re-point to the previous (or named) release; auto-sync pauses until a new commit',
      tag: 'actions',
      access: 'deployer',
      params: EnvironmentParams,
      body: RollbackBody,
      response: ActionResultSchema,
      errors: ACTION_ERRORS,
      run: ({ backend, params, body, actor }) =>
        backend.rollback(defined({ environment: params.name, ...body, actor })),
    }),
    jsonRoute({
      backend,
      method: 'post',
      path: `${base}/environments/{name}/pause`,
      operationId: 'pause',
      summary: 'Pause auto-sync of an environment',
      tag: 'actions',
      access: 'admin',
      params: EnvironmentParams,
      body: PauseBody,
      response: ActionResultSchema,
      errors: ACTION_ERRORS,
      run: ({ backend, params, body, actor }) =>
        backend.pause(defined({ environment: params.name, ...body, actor })),
    }),
    jsonRoute({
      backend,
      method: 'post',
      path: `${base}/environments/{name}/resume`,
      operationId: 'resume',
      summary: 'Resume auto-sync of an environment',
      tag: 'actions',
      access: 'admin',
      params: EnvironmentParams,
      response: ActionResultSchema,
      errors: ACTION_ERRORS,
      run: ({ backend, params, actor }) => backend.resume({ environment: params.name, actor }),
    }),
  ];
}
