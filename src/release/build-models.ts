/**
 * What every builder prepares before it builds: the schemas an environment needs, the views over
 * file sources, and a model's compiled SELECT with its references resolved. The building itself
 * is `buildVersions` (the loop) and `buildModelVersion` (one model version).
 */

import { errorMessage, InvalidArgumentError } from '../core/errors.js';
import { compileSqlModel } from '../project/compile-model.js';
import type { ModelNode, SourceNode } from '../project/project.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { PHYSICAL_SCHEMA, SOURCES_SCHEMA, sourceRelation } from './physical-layout.js';

export async function prepareSchemas(warehouse: Warehouse, environment: string): Promise<void> {
  for (const schema of [SOURCES_SCHEMA, PHYSICAL_SCHEMA, environment]) await warehouse.createSchema(schema);
}

/** File sources become views over the files (where the engine reads files), so models read them by name. */
export async function createSourceViews(warehouse: Warehouse, sources: readonly SourceNode[]): Promise<void> {
  // Refused before any view is created, so nothing is half done.
  const fileSource = warehouse.capabilities.readsLocalFiles ? undefined : sources.find((s) => s.files);
  if (fileSource) {
    throw new InvalidArgumentError(
      `${positionOf(fileSource)}: source '${fileSource.name}' reads the local files ${fileSource.files}, which the ${warehouse.engine} warehouse cannot read`,
      {
        hint: 'load the files into a table and declare the source with `table:`, or use a warehouse that reads files',
      },
    );
  }
  for (const source of sources) {
    if (!source.files) continue;
    const declared = source.columns.flatMap((c) =>
      c.type === undefined ? [] : [{ name: c.name, type: c.type }],
    );
    try {
      await warehouse.createView(
        sourceRelation(source),
        warehouse.files.selectFiles(source.files, source.format ?? 'parquet', declared),
      );
    } catch (error) {
      if (declared.length === 0) throw error;
      throw new InvalidArgumentError(
        `${positionOf(source)}: source '${source.name}': its files do not have the declared columns: ${errorMessage(error)}`,
        {
          hint: `check the columns: of ${source.name} in ${source.position.file} against ${source.files}`,
          cause: error,
        },
      );
    }
  }
}

function positionOf({ position }: SourceNode): string {
  return `${position.file}:${position.line}:${position.column}`;
}

/** The SELECT that builds a model, with every reference resolved. */
export async function compileModel(
  model: ModelNode,
  resolve: (name: string) => string,
  warehouse: Warehouse,
): Promise<string> {
  if (model.language === 'sql') return compileSqlModel(model, resolve);
  if (!model.build) throw new Error(`${model.name} has no build function`);
  const inputs = new Set(model.dependsOn);
  const sql = await model.build({
    ref: (name) => {
      if (!inputs.has(name)) {
        throw new InvalidArgumentError(`${model.name} calls ref('${name}') but does not list it in inputs`, {
          hint: `add '${name}' to inputs in ${model.file}`,
        });
      }
      return resolve(name);
    },
    sql: async (query) => (await warehouse.query(query)).rows,
  });
  return `${sql.trim().replace(/;\s*$/, '')}\n`;
}
