/**
 * JSON Schemas for editors, generated from the zod schemas the loader validates with. Check lists
 * are validated by the loader itself (for better messages), so here they get the check schema.
 */
import { z } from 'zod';
import { alertsFileSchema } from './alerts-schema.js';
import {
  checkSchema,
  modelHeaderSchema,
  projectConfigSchema,
  sourcesFileSchema,
  testsFileSchema,
} from './schemas.js';

type JsonObject = { [key: string]: unknown };

export function projectJsonSchemas(): Readonly<Record<string, JsonObject>> {
  const check = z.toJSONSchema(checkSchema) as JsonObject;
  delete check['$schema'];
  const make = (title: string, schema: z.ZodType): JsonObject => {
    const json = z.toJSONSchema(schema, { unrepresentable: 'any' }) as JsonObject;
    return { ...(withCheckRefs(json) as JsonObject), title, $defs: { check } };
  };
  return {
    'slipway.schema.json': make('slipway.yaml', projectConfigSchema),
    'sources.schema.json': make('Slipway sources file', sourcesFileSchema),
    'tests.schema.json': make('Slipway unit tests file', testsFileSchema),
    'model-header.schema.json': make('Slipway SQL model header', modelHeaderSchema),
    'alerts.schema.json': make('Slipway alerts.yaml', alertsFileSchema),
  };
}

function withCheckRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withCheckRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === 'checks' && isUntypedArray(child)
        ? { type: 'array', items: { $ref: '#/$defs/check' } }
        : withCheckRefs(child);
  }
  return out;
}

function isUntypedArray(value: unknown): boolean {
  const v = value as JsonObject;
  return (
    v?.['type'] === 'array' &&
    typeof v['items'] === 'object' &&
    Object.keys(v['items'] as object).length === 0
  );
}
