/**
 * The names of the strategies this version can release with, without loading the strategies:
 * `--help` of `plan` and `apply` lists them. `strategy-for.ts` holds the strategies themselves
 * and refuses to load when the two lists disagree.
 */
export const AVAILABLE_STRATEGIES: readonly string[] = ['direct', 'blue-green', 'canary'];
