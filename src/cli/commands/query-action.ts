/**
 * `slipway query --env E "SQL"`: a read-only query against an environment. Model and source
 * names in the query resolve to the environment's views, through the same parser that reads
 * models; the read goes through the warehouse's sandbox (`warehouse.reads`): one SELECT, no file
 * or URL reads, no schema but the environment's, its sources' and the catalogs, a row cap.
 */
import type { Command } from 'commander';
import { openSqlParser } from '../../app/open-sql-parser.js';
import { openWarehouse } from '../../app/open-warehouse.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { utf8OffsetMapper } from '../../core/sql-parser.js';
import { rewriteReferences } from '../../project/compile-model.js';
import { findNode, type Project } from '../../project/project.js';
import { analyzeSelect } from '../../project/sql-references.js';
import { environmentRelation, sourceRelation } from '../../release/physical-layout.js';
import type { ReadResult, RelationRef, SqlValue } from '../../warehouse/warehouse.js';
import { discoverOperator } from '../operator-client.js';
import { type GlobalOptions, openProject, requireEnvironment } from '../project-context.js';
import { createOutput, jsonReplacer, renderTable, status } from '../render/terminal.js';

interface QueryOptions extends GlobalOptions {
  readonly env: string;
  readonly limit: string;
}

export async function queryAction(this: Command, sql: string) {
  const options = this.optsWithGlobals<QueryOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 0)
    throw new InvalidArgumentError(`--limit must be a whole number, not '${options.limit}'`);
  const project = await openProject(options);
  requireEnvironment(project, options.env, { ephemeral: true });
  const operator = await discoverOperator(options);
  if (operator) {
    // The operator holds the warehouse: the read runs there, beside its releases.
    const sqlForOperator = await compileQuery(project, options.env, sql, standardQuote);
    const result = await operator.post<ReadResult>('/api/v1/query', {
      env: options.env,
      sql: sqlForOperator,
      limit,
    });
    render(output, result, limit);
    return;
  }
  const warehouse = await openWarehouse(project, { environment: options.env, readOnly: true });
  try {
    const compiled = await compileQuery(project, options.env, sql, (ref) => warehouse.quoteRelation(ref));
    const envViews = await warehouse.listRelations(options.env);
    if (envViews.length === 0) {
      throw new InvalidArgumentError(`environment '${options.env}' has not been built`, {
        hint: `slipway build --env ${options.env}`,
      });
    }
    const reads = warehouse.reads;
    if (!reads) throw new InvalidArgumentError(`the ${warehouse.engine} warehouse has no sandboxed reads`);
    const result = await reads.query({
      sql: compiled,
      schema: options.env,
      alsoReadable: sourceSchemas(project),
      environments: Object.keys(project.config.environments),
      maxRows: limit,
    });
    render(output, result, limit);
  } finally {
    await warehouse.close();
  }
}

/** Model and source names resolved to the environment's views and the sources' relations. */
async function compileQuery(
  project: Project,
  environment: string,
  sql: string,
  quote: (ref: RelationRef) => string,
): Promise<string> {
  const parser = await openSqlParser();
  try {
    const [parsed] = await parser.parseMany([sql]);
    if (!parsed?.ok) {
      if (parsed?.message.startsWith('Only SELECT')) {
        throw new InvalidArgumentError('slipway query runs read-only SELECT statements', {
          hint: 'models change through the project and `slipway build`, never by hand',
        });
      }
      const column = parsed?.offset === undefined ? '' : ` at column ${parsed.offset + 1}`;
      throw new InvalidArgumentError(
        `the query does not parse${column}: ${parsed?.message ?? 'unknown error'}`,
      );
    }
    const analysis = analyzeSelect(parsed.tree, utf8OffsetMapper(sql));
    if (analysis.problem)
      throw new InvalidArgumentError(`slipway query runs one SELECT: ${analysis.problem}`);
    return rewriteReferences(sql, 0, analysis.references, (ref) => {
      if (ref.schema !== undefined) return undefined;
      const node = findNode(project, ref.name);
      if (node?.type === 'model') return quote(environmentRelation(environment, node.name));
      if (node?.type === 'source') return quote(sourceRelation(node));
      return undefined;
    });
  } finally {
    await parser.close();
  }
}

/** Standard SQL quoting (DuckDB's and PostgreSQL's), for SQL the operator's warehouse runs. */
function standardQuote(ref: RelationRef): string {
  return [ref.schema, ref.name].map((part) => `"${part.replaceAll('"', '""')}"`).join('.');
}

function render(output: ReturnType<typeof createOutput>, result: ReadResult, limit: number): void {
  const rows = result.rows;
  output.data({ columns: result.columns, rows, truncated: result.truncated });
  output.line(
    renderTable(
      result.columns.map((c) => c.name),
      rows.map((row) => result.columns.map((c) => formatValue(row[c.name] ?? null))),
      result.columns.map((c) => (NUMERIC_TYPE.test(c.type) ? 'right' : 'left')),
    ),
  );
  output.line(
    status.dim(
      result.truncated
        ? `first ${limit} rows shown (use --limit)`
        : `${rows.length} row${rows.length === 1 ? '' : 's'}`,
    ),
  );
}

/** The schemas the project's sources live in (a query may name a source). */
function sourceSchemas(project: Project): string[] {
  return [...new Set([...project.sources.values()].map((source) => sourceRelation(source).schema))];
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|REAL|DECIMAL|NUMERIC)/;

function formatValue(value: SqlValue): string {
  if (value === null) return status.dim('null');
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return String(value);
}
