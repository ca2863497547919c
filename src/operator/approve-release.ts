/**
 * The one approve path, called by the operator's reconciler (for the API and the dashboard) and
 * by `slipway approve` when no operator runs: refuse an environment that does not require
 * approval (invalid input, exit 2), take the release waiting at its gate (or the one named),
 * record the approval in the operator store — fenced by the lease term like the operator's own
 * writes — and append it to the audit log before anything acts on it.
 */
import { ConflictError, InvalidArgumentError } from '../core/errors.js';
import type { Fence, OperatorStore } from '../state/operator-store.js';
import type { StateStore } from '../state/state-store.js';

export interface ApproveRequest {
  readonly environment: { readonly name: string; readonly approval: boolean };
  /** The source release to approve (default: the one waiting). */
  readonly releaseId?: string | undefined;
  readonly comment?: string | undefined;
  readonly actor: string;
  /** The lease term the write is stamped with (undefined: no operator holds the lease). */
  readonly fence: Fence;
  readonly at: Date;
}

/**
 * @example
 * await approveRelease({ store, state }, { environment: { name: 'prod', approval: true }, actor: 'ada', fence, at: new Date() });
 */
export async function approveRelease(
  services: { readonly store: OperatorStore; readonly state: StateStore },
  request: ApproveRequest,
): Promise<string> {
  const { store, state } = services;
  const { name } = request.environment;
  requireApproval(request.environment);
  const releaseId = request.releaseId ?? (await store.pendingApproval(name))?.releaseId;
  if (!releaseId) throw new ConflictError(`nothing is waiting for approval in ${name}`);
  await store.setApproval(
    name,
    { releaseId, by: request.actor, comment: request.comment ?? null, at: request.at.toISOString() },
    request.fence,
  );
  // Awaited: the approval is in the audit log before anything acts on it.
  await state.appendEvent({
    type: 'approval.granted',
    environment: name,
    releaseId,
    actor: request.actor,
    data: { summary: `${request.actor} approved ${releaseId} for ${name}`, comment: request.comment ?? null },
  });
  return releaseId;
}

/** Refuses (invalid input) an environment whose gate is not manual: there is nothing to approve. */
export function requireApproval(environment: ApproveRequest['environment']): void {
  if (environment.approval) return;
  throw new InvalidArgumentError(`${environment.name} does not require approval`, {
    hint: `set approval: true on ${environment.name} in slipway.yaml`,
  });
}
