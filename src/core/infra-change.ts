/**
 * Infrastructure beside a data release: what a commit changes in an environment's infrastructure
 * (from `terraform plan`, or from the parsed HCL against the base commit) and how the
 * infrastructure step of a release ended. Pure types shared by the release flow, which records
 * them, and src/infra/, which computes them.
 */

export interface InfraChanges {
  /** `terraform plan` when the environment configures `infra:`, else the parsed HCL diff. */
  readonly source: 'terraform plan' | 'parsed HCL';
  /** The commit compared with (the environment's release, or the pull request's merge base). */
  readonly base: string | undefined;
  /** True when a file under the infrastructure folders differs from the base. */
  readonly filesChanged: boolean;
  /** Resource addresses. */
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  /** Errors and warnings the tool reported (`file:line:col: summary` where it gave a place). */
  readonly diagnostics: readonly string[];
}

/** What a release does about infrastructure, recorded on its plan. */
export interface InfraPlan {
  readonly environment: string;
  readonly changes: InfraChanges;
  /** `apply`: the release runs the environment's infrastructure step before building. */
  readonly step: 'apply' | 'none';
  /** Why the step runs or not, one line. */
  readonly reason: string;
}

export interface InfraStepOutcome {
  readonly ok: boolean;
  /** One line: `Apply complete! Resources: 1 added, …`, or why it failed. */
  readonly summary: string;
  /** Resource addresses the step created, updated or deleted. */
  readonly applied: readonly string[];
  readonly diagnostics: readonly string[];
}

/** The seam the release flow calls: run the environment's infrastructure step. */
export interface ReleaseInfraStep {
  readonly plan: InfraPlan;
  run(signal?: AbortSignal): Promise<InfraStepOutcome>;
}
