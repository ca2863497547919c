/**
 * Named steps of a release, announced as it passes them. Production passes no hook; the crash
 * test passes one (through `SLIPWAY_TEST_PAUSE_AT`) that stops the process at a chosen step so
 * it can be killed there, deterministically, and one that records every step a release takes so
 * that the test covers each of them.
 */
export type StepHook = (step: string) => Promise<void>;

export const noSteps: StepHook = async () => {};

export const STEP = {
  locked: 'locked',
  recorded: 'release-recorded',
  /** The environment's infrastructure step succeeded (releases whose commit changed infra). */
  infra: 'infra-applied',
  build: (model: string) => `build:${model}`,
  /** The table exists in the warehouse but the state store still says `building`. */
  materialized: (model: string) => `materialized:${model}`,
  built: (model: string) => `built:${model}`,
  gated: 'gated',
  beforeSwitch: 'before-switch',
  afterSwitch: 'after-switch',
  completed: 'completed',
} as const;
