/**
 * Validation schemas for every file a project holds. They are the single source of truth: the
 * loader validates with them and `scripts/generate-schemas.ts` turns them into the JSON Schemas
 * editors use (`schema/*.json`), so the two can never disagree.
 */
import { z } from 'zod';

/** Plain identifiers only: Slipway quotes everything it writes, but refuses names that need it. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_IDENTIFIER_LENGTH = 63;

export const identifier = z
  .string()
  .max(MAX_IDENTIFIER_LENGTH, `names are at most ${MAX_IDENTIFIER_LENGTH} characters`)
  .regex(IDENTIFIER, 'use letters, digits and _ (starting with a letter or _), so the name needs no quoting');

/** `30m`, `2h`, `7d`, `45s`: durations as people write them in config. */
export const duration = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/, 'a duration such as 30m, 2h or 7d');

const severity = z.enum(['error', 'warn']);

/** Options every check accepts next to its own parameters. */
const checkCommon = {
  severity: severity.optional().describe('error blocks a release; warn only reports'),
  where: z.string().min(1).optional().describe('SQL condition: only rows matching it are checked'),
  threshold: z
    .union([
      z.object({ rows: z.number().int().nonnegative() }).strict(),
      z.object({ percent: z.number().min(0).max(100) }).strict(),
    ])
    .optional()
    .describe('fail only when more than this many rows (or percent of rows) fail'),
  tags: z.array(z.string().min(1)).optional(),
  description: z.string().optional(),
  name: identifier.optional().describe('a name for the check in reports (defaults to a generated one)'),
};

const bound = z.union([z.number(), z.string()]);

/** Parameters of each check kind. A check is written `kind` or `{ kind: params }`. */
export const CHECK_PARAMS = {
  not_null: z.object({ ...checkCommon }).strict(),
  unique: z
    .object({
      ...checkCommon,
      columns: z.array(identifier).min(1).optional(),
      ignore_row_if: z
        .enum(['any_value_is_missing', 'all_values_are_missing', 'never'])
        .optional()
        .describe(
          'a key of several columns: which rows with NULLs are compared (default any_value_is_missing: a NULL anywhere skips the row, as SQL UNIQUE)',
        ),
    })
    .strict(),
  accepted_values: z
    .object({ ...checkCommon, values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) })
    .strict(),
  range: z
    .object({
      ...checkCommon,
      min: bound.optional(),
      max: bound.optional(),
      inclusive: z.boolean().optional().describe('false makes both bounds strict (default true)'),
      strict_min: z.boolean().optional().describe('values equal to min fail'),
      strict_max: z.boolean().optional().describe('values equal to max fail'),
    })
    .strict(),
  pattern: z.object({ ...checkCommon, regex: z.string().min(1) }).strict(),
  length: z
    .object({
      ...checkCommon,
      min: z.number().int().nonnegative().optional(),
      max: z.number().int().optional(),
    })
    .strict(),
  relationships: z.object({ ...checkCommon, to: identifier, field: identifier }).strict(),
  not_null_proportion: z.object({ ...checkCommon, at_least: z.number().min(0).max(1) }).strict(),
  row_count: z
    .object({
      ...checkCommon,
      min: z.number().int().nonnegative().optional(),
      max: z.number().int().optional(),
    })
    .strict(),
  freshness: z
    .object({
      ...checkCommon,
      column: identifier.optional(),
      warn_after: duration.optional(),
      error_after: duration.optional(),
    })
    .strict(),
  schema: z
    .object({
      ...checkCommon,
      columns: z.record(identifier, z.string().min(1)),
      allow_extra: z.boolean().optional(),
      nullable: z.record(identifier, z.boolean()).optional(),
    })
    .strict(),
  expression: z.object({ ...checkCommon, sql: z.string().min(1) }).strict(),
  // No `where`: a query's rows are its failures, and its own WHERE filters them.
  query: z
    .object({
      severity: checkCommon.severity,
      threshold: checkCommon.threshold,
      tags: checkCommon.tags,
      description: checkCommon.description,
      name: checkCommon.name,
      sql: z.string().min(1),
    })
    .strict(),
} as const;

export type CheckKind = keyof typeof CHECK_PARAMS;
export const CHECK_KINDS = Object.keys(CHECK_PARAMS) as CheckKind[];

/** Checks that only make sense on a column, and those that only make sense on a whole relation. */
export const COLUMN_ONLY_CHECKS: readonly CheckKind[] = [
  'not_null',
  'accepted_values',
  'range',
  'pattern',
  'length',
  'relationships',
  'not_null_proportion',
];
export const RELATION_ONLY_CHECKS: readonly CheckKind[] = ['row_count', 'schema', 'query'];

/** The JSON Schema form of a check (the loader validates checks itself, for better messages). */
export const checkSchema = z.union([
  z.enum(CHECK_KINDS as [CheckKind, ...CheckKind[]]),
  ...CHECK_KINDS.map((kind) =>
    z
      .object({
        [kind]: kind === 'unique' ? z.union([CHECK_PARAMS.unique, z.array(identifier)]) : CHECK_PARAMS[kind],
      })
      .strict(),
  ),
]);

const connectionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('duckdb'),
      path: z.string().min(1).describe("database file, relative to the project, or ':memory:'"),
      threads: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('postgres'),
      url_env: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/)
        .describe('name of the environment variable holding the connection URL (never the URL itself)'),
      schema_prefix: identifier.optional(),
    })
    .strict(),
]);

/** `50%`, `12.5%`: a bound on a relative change. */
export const percentage = z
  .string({
    // `max_row_change: 50` reads as a number: say what to write instead of "expected string".
    error: (issue) =>
      typeof issue.input === 'number' ? `a percentage needs its % sign: write ${issue.input}%` : undefined,
  })
  .regex(/^\d+(\.\d+)?%$/, 'a percentage such as 50% or 12.5%');

/** Post-deploy verification: what is checked on an environment right after a switch (operator or CLI). */
const verifySchema = z
  .object({
    checks: z
      .boolean()
      .optional()
      .describe("run the error-severity checks of the environment's models on its live views (default true)"),
    max_row_change: percentage
      .optional()
      .describe(
        'fail when a changed model has more or fewer rows than in the release before, by more than this',
      ),
    delay: duration.optional().describe('verify this long after the switch (default: at once)'),
    rollback: z
      .boolean()
      .optional()
      .describe('roll back to the release before when verification fails (default true); false only reports'),
  })
  .strict();

/** Canary releases: the entity key that samples the data, the steps and the analysis (docs/canary.md). */
const canarySchema = z
  .object({
    key: identifier.describe('the entity key the sample is drawn by (for example customer_id)'),
    key_columns: z
      .record(identifier, identifier)
      .optional()
      .describe('source name → the column that carries the key there (default: a column named as the key)'),
    steps: z
      .array(z.number().gt(0).max(100))
      .min(1)
      .optional()
      .describe('percent of keys in each step, increasing, ending at 100 (default [5, 25, 100])'),
    interval: duration.optional().describe('time between steps (default 0)'),
    analysis: z
      .object({
        checks: z
          .boolean()
          .optional()
          .describe("run the candidate models' error-severity checks on each sample (default true)"),
        tolerance: percentage
          .optional()
          .describe(
            'how far row count, null rate, distinct count, min/max and the share of changed keys may move without a declared expected_change (default 0.5%)',
          ),
        min_rows: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('a model with fewer rows than this in the sample is inconclusive (default 20)'),
        failure_limit: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('failed metrics a step tolerates before the canary aborts (default 0)'),
        metrics: z
          .array(
            z
              .object({
                model: identifier,
                sql: z.string().min(1).describe('an aggregate over the model, such as sum(amount)'),
                tolerance: percentage,
                name: identifier.optional(),
              })
              .strict(),
          )
          .optional()
          .describe('declared metrics compared between candidate and baseline on each sample'),
      })
      .strict()
      .optional(),
    inconclusive: z
      .enum(['pause', 'abort'])
      .optional()
      .describe('what an inconclusive analysis does: pause for a person (default) or abort'),
  })
  .strict();

export type CanaryConfig = z.infer<typeof canarySchema>;

/**
 * An environment's infrastructure step: the Terraform root it applies before a data release
 * whose commit changed the infrastructure files, and who may apply it.
 */
const infraSchema = z
  .object({
    dir: z
      .string()
      .min(1)
      .describe("the environment's Terraform root, relative to the project (e.g. infra/envs/prod)"),
    command: z
      .string()
      .min(1)
      .optional()
      .describe('the Terraform executable, on PATH or a path (default terraform)'),
    approval: z
      .enum(['auto', 'manual'])
      .optional()
      .describe(
        'auto: the operator and slipway apply run it (default); manual: only a person running slipway apply does, the operator stops the release and says so',
      ),
    paths: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('folders whose changes need the step, relative to the project (default [infra])'),
  })
  .strict();

const environmentSchema = z
  .object({
    strategy: z.enum(['direct', 'blue-green', 'canary']).optional(),
    canary: canarySchema.optional().describe('settings of the canary strategy (docs/canary.md)'),
    promote_from: identifier.optional(),
    sync: z.enum(['auto', 'manual']).optional(),
    approval: z.boolean().optional(),
    soak: duration.optional(),
    schedule: z.string().optional().describe('cron expression for scheduled runs'),
    self_heal: z.boolean().optional(),
    verify: verifySchema
      .optional()
      .describe(
        'post-deploy verification after each switch of this environment (by the operator, slipway apply or promote); a failure rolls back',
      ),
    warehouse: identifier.optional().describe('connection name, when not the default'),
    infra: infraSchema
      .optional()
      .describe(
        'apply this Terraform root before a data release whose commit changed infrastructure files; plan and ci show its terraform plan',
      ),
  })
  .strict();

export const projectConfigSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ and -')
      .max(63),
    description: z.string().optional(),
    warehouse: z
      .object({
        default: identifier,
        connections: z.record(identifier, connectionSchema),
      })
      .strict(),
    state: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('sqlite'), path: z.string().min(1) }).strict(),
        z.object({ type: z.literal('postgres'), url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/) }).strict(),
      ])
      .optional(),
    environments: z.record(identifier, environmentSchema),
    defaults: z
      .object({
        concurrency: z.number().int().min(1).max(64).optional(),
        owner: z.string().optional(),
        check_sample_rows: z.number().int().min(0).max(1000).optional(),
      })
      .strict()
      .optional(),
    paths: z
      .object({
        models: z.string().optional(),
        sources: z.string().optional(),
        tests: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ProjectConfig = z.infer<typeof projectConfigSchema>;

const columnChecks = z.array(z.unknown()).optional();

/**
 * A SQL type name as an engine spells it (`BIGINT`, `DECIMAL(12,2)`, `TIMESTAMP WITH TIME ZONE`,
 * `VARCHAR[]`): type names cannot be bound parameters, so only this shape reaches the SQL.
 */
const sqlTypeName = z
  .string()
  .min(1)
  .regex(
    /^[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*)*( ?\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])*$/,
    'a SQL type name such as BIGINT, DECIMAL(12,2) or TIMESTAMP WITH TIME ZONE',
  );

export const sourceColumnSchema = z
  .object({
    name: identifier,
    type: sqlTypeName.optional(),
    description: z.string().optional(),
    checks: columnChecks,
  })
  .strict();

export const sourceSchema = z
  .object({
    name: identifier,
    description: z.string().optional(),
    owner: z.string().optional(),
    files: z.string().min(1).optional().describe('project-relative glob of CSV or Parquet files'),
    table: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'schema.table')
      .optional(),
    format: z.enum(['parquet', 'csv']).optional(),
    loaded_at: identifier.optional(),
    event_time: identifier.optional(),
    freshness: z
      .object({ warn_after: duration.optional(), error_after: duration.optional() })
      .strict()
      .optional(),
    tags: z.array(z.string()).optional(),
    columns: z.array(sourceColumnSchema).optional(),
    checks: z.array(z.unknown()).optional(),
  })
  .strict();

export const sourcesFileSchema = z.object({ sources: z.array(sourceSchema) }).strict();
export type SourceConfig = z.infer<typeof sourceSchema>;

const modelColumnSchema = z.union([
  z.string(),
  z
    .object({ description: z.string().optional(), type: sqlTypeName.optional(), checks: columnChecks })
    .strict(),
]);

export const modelHeaderSchema = z
  .object({
    name: identifier.optional(),
    kind: z.enum(['view', 'table', 'incremental']).optional(),
    time_column: identifier.optional(),
    unique_key: z.union([identifier, z.array(identifier).min(1)]).optional(),
    lookback: duration.optional(),
    change_category: z
      .enum(['breaking', 'non-breaking'])
      .optional()
      .describe('override how a change to this model is classified'),
    expected_change: z
      .union([z.literal('none'), percentage])
      .optional()
      .describe(
        'share of keys whose output this change is expected to alter (canary analysis; default none)',
      ),
    tags: z.array(z.string().min(1)).optional(),
    owner: z.string().optional(),
    description: z.string().optional(),
    columns: z.record(identifier, modelColumnSchema).optional(),
    checks: z.array(z.unknown()).optional(),
  })
  .strict();

export type ModelHeader = z.infer<typeof modelHeaderSchema>;

const fixtureSchema = z.union([
  z.object({ rows: z.array(z.record(z.string(), z.unknown())) }).strict(),
  z.object({ csv: z.string().min(1) }).strict(),
]);

export const unitTestSchema = z
  .object({
    name: identifier,
    model: identifier,
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    inputs: z.record(identifier, fixtureSchema),
    expect: z.union([
      z
        .object({ rows: z.array(z.record(z.string(), z.unknown())), ordered: z.boolean().optional() })
        .strict(),
      z.object({ csv: z.string().min(1), ordered: z.boolean().optional() }).strict(),
    ]),
  })
  .strict();

export const testsFileSchema = z.object({ tests: z.array(unitTestSchema) }).strict();
export type UnitTestConfig = z.infer<typeof unitTestSchema>;

/** What `defineModel()` accepts; validated when a TypeScript model is loaded. */
export const typescriptModelSchema = z
  .object({
    name: identifier,
    kind: z.enum(['view', 'table', 'incremental']),
    inputs: z.array(identifier),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    owner: z.string().optional(),
    time_column: identifier.optional(),
    unique_key: z.union([identifier, z.array(identifier).min(1)]).optional(),
    columns: z.record(identifier, modelColumnSchema).optional(),
    checks: z.array(z.unknown()).optional(),
    build: z.custom<(...args: never[]) => unknown>(
      (v) => typeof v === 'function',
      'build must be a function',
    ),
  })
  .strict();
