/**
 * The infrastructure side of `plan`, `apply` and `ci`: the base commit an environment's
 * infrastructure is compared with (the commit of the release it shows, or the pull request's
 * merge base), and the plan and step src/app wires for it.
 */
import { planInfra } from '../app/open-infra.js';
import type { InfraPlan } from '../core/infra-change.js';
import { isGitRepository } from '../git/git-commit.js';
import type { StateStore } from '../state/state-store.js';
import type { LoadedRelease } from './release-context.js';

/** The commit of the release the environment shows; undefined when none (or not from git). */
export async function releasedCommit(state: StateStore, environment: string): Promise<string | undefined> {
  const pointer = await state.getPointer(environment);
  if (!pointer) return undefined;
  return (await state.getRelease(pointer.releaseId))?.commit?.sha;
}

export async function infraPlanFor(
  loaded: LoadedRelease,
  environment: string,
  { base, head }: { readonly base: string | undefined; readonly head: string | undefined },
): Promise<InfraPlan | undefined> {
  const git = await isGitRepository(loaded.root);
  return planInfra({
    project: loaded.project,
    repository: loaded.root,
    environment,
    base: git ? base : undefined,
    head,
  });
}
