/**
 * The infrastructure side of a release, wired: what a commit changes in an environment's
 * infrastructure, and the step that applies it. With `infra:` configured for the environment,
 * the changes come from `terraform plan -json` in its working directory (`TerraformStep`);
 * otherwise from the parsed HCL of the infrastructure folders against the base commit
 * (`diffInfra`). The step runs only when a file under those folders changed since the base.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { InfraChanges, InfraPlan, ReleaseInfraStep } from '../core/infra-change.js';
import { changedPaths } from '../git/git-changes.js';
import { checkoutCommit } from '../git/git-commit.js';
import { diffInfra } from '../infra/infra-diff.js';
import { type InfraStep, TerraformStep } from '../infra/infra-step.js';
import { readTerraformTree, type TerraformFile, type TerraformTree } from '../infra/terraform-tree.js';
import type { Project } from '../project/project.js';

export interface InfraPlanRequest {
  /** The project as of the commit released (its `root` holds that commit's files). */
  readonly project: Project;
  /** The project folder in the git repository (the working tree), where git runs. */
  readonly repository: string;
  readonly environment: string;
  /** The commit compared with; undefined when the environment was never released from a commit. */
  readonly base: string | undefined;
  /** The commit released; undefined for the working tree. */
  readonly head: string | undefined;
  /** Run `terraform plan` (configured environments only) to show the changes. Default true. */
  readonly terraformPlan?: boolean;
  /** For tests: the step to use instead of Terraform. */
  readonly step?: InfraStep;
}

function settingsOf(project: Project, environment: string) {
  return project.config.environments[environment]?.infra;
}

function stepFor(project: Project, environment: string): InfraStep | undefined {
  const settings = settingsOf(project, environment);
  if (!settings) return undefined;
  return new TerraformStep({
    dir: path.join(project.root, settings.dir),
    ...(settings.command ? { command: settings.command } : {}),
  });
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

/** The Terraform files under `paths` of a folder, paths kept relative to the folder. */
async function readFolders(root: string, paths: readonly string[]): Promise<TerraformTree> {
  const files: TerraformFile[] = [];
  for (const p of paths) {
    const dir = path.join(root, p);
    // A folder the commit did not have is linked from the working tree by checkoutCommit.
    const stat = await lstat(dir).catch(() => undefined);
    if (!stat || stat.isSymbolicLink() || !stat.isDirectory()) continue;
    const tree = await readTerraformTree(dir);
    files.push(...tree.files.map((f) => ({ ...f, path: `${p}/${f.path}` })));
  }
  return { root, files };
}

/**
 * What a release of `head` to the environment does about infrastructure; undefined when the
 * project has no infrastructure folders and the environment configures no `infra:`.
 */
export async function planInfra(request: InfraPlanRequest): Promise<InfraPlan | undefined> {
  const { project, environment, base } = request;
  const settings = settingsOf(project, environment);
  const paths = settings?.paths ?? ['infra'];
  const present = await Promise.all(paths.map((p) => exists(path.join(project.root, p))));
  if (!settings && !present.some(Boolean)) return undefined;
  const changedFiles =
    base === undefined
      ? ['(no earlier release)']
      : await changedPaths(request.repository, base, request.head, paths);
  const filesChanged = changedFiles.length > 0;
  const step = request.step ?? stepFor(project, environment);
  let changes: InfraChanges;
  if (settings && step && filesChanged && request.terraformPlan !== false) {
    const planned = await step.plan();
    changes = {
      source: 'terraform plan',
      base,
      filesChanged,
      added: planned.report.added,
      changed: planned.report.changed,
      removed: planned.report.removed,
      diagnostics: [...(planned.failure ? [planned.failure] : []), ...planned.report.warnings],
    };
  } else {
    const diff = filesChanged
      ? await diffAgainstBase(request, paths)
      : { added: [], changed: [], removed: [] };
    changes = { source: 'parsed HCL', base, filesChanged, ...diff, diagnostics: [] };
  }
  const short = base?.slice(0, 10) ?? '';
  if (!settings)
    return {
      environment,
      changes,
      step: 'none',
      reason: `${environment} configures no infra: step; apply infrastructure changes with Terraform yourself`,
    };
  if (!filesChanged)
    return {
      environment,
      changes,
      step: 'none',
      reason: `no file under ${paths.join(', ')} changed since ${short}`,
    };
  return {
    environment,
    changes,
    step: 'apply',
    reason:
      base === undefined
        ? `${environment} has no earlier release: ${settings.dir} is applied first`
        : `${changedFiles.length} file${changedFiles.length === 1 ? '' : 's'} under ${paths.join(', ')} changed since ${short}: ${settings.dir} is applied first`,
  };
}

async function diffAgainstBase(request: InfraPlanRequest, paths: readonly string[]) {
  const head = await readFolders(request.project.root, paths);
  if (request.base === undefined) return diffInfra({ root: '', files: [] }, head);
  const checkout = await checkoutCommit(request.repository, request.base).catch(() => undefined);
  if (!checkout) return diffInfra({ root: '', files: [] }, head);
  try {
    return diffInfra(await readFolders(checkout.dir, paths), head);
  } finally {
    await checkout.remove();
  }
}

/**
 * The step the release flow runs, when the plan says to. `automated` (the operator): an
 * environment whose `infra.approval` is `manual` is not applied by it; the step fails, saying a
 * person applies it, so the data release that needs it does not go ahead.
 */
export function infraStepForRelease(
  project: Project,
  plan: InfraPlan | undefined,
  { automated, step }: { readonly automated: boolean; readonly step?: InfraStep },
): ReleaseInfraStep | undefined {
  if (plan?.step !== 'apply') return undefined;
  const settings = settingsOf(project, plan.environment);
  const runner = step ?? stepFor(project, plan.environment);
  if (!settings || !runner) return undefined;
  return {
    plan,
    run: async function runInfraStep(signal) {
      if (automated && settings.approval === 'manual')
        return {
          ok: false,
          summary: `the infrastructure change needs a person (infra.approval: manual): slipway apply --env ${plan.environment}`,
          applied: [],
          diagnostics: [],
        };
      return runner.apply(signal);
    },
  };
}

/**
 * The operator's infrastructure step for a commit it releases: planned against the commit the
 * environment shows (in the commit's checkout, a worktree of the mirror), run only when the
 * environment configures `infra:` and a file under its folders changed, and refused (a failed
 * step) when `infra.approval` is `manual`.
 */
export async function operatorInfraStep(request: {
  readonly project: Project;
  readonly environment: string;
  readonly base: string | undefined;
  readonly head: string;
}): Promise<ReleaseInfraStep | undefined> {
  const { project, environment } = request;
  if (!settingsOf(project, environment)) return undefined;
  const plan = await planInfra({ ...request, repository: project.root });
  return infraStepForRelease(project, plan, { automated: true });
}
