/**
 * The loaded, validated project: what the rest of Slipway works from. Plain readonly data; the
 * loader builds it, nothing mutates it.
 */

import type { SourcePosition } from '../core/errors.js';
import type { AlertsFile } from './alerts-schema.js';
import type { CheckKind, ProjectConfig } from './schemas.js';
import type { TableReference } from './sql-references.js';

export type Materialization = 'view' | 'table' | 'incremental';

/** A declared data-quality check, compiled and executed by `src/quality/`. */
export interface CheckDeclaration {
  /** Stable id: `<target>.<column|*>.<kind>[.<n>]`, used in reports and JUnit. */
  readonly id: string;
  readonly kind: CheckKind;
  /** The model or source the check is declared on. */
  readonly target: string;
  readonly column: string | undefined;
  readonly severity: 'error' | 'warn';
  readonly params: Readonly<Record<string, unknown>>;
  readonly position: SourcePosition;
}

export interface ColumnDeclaration {
  readonly name: string;
  readonly type: string | undefined;
  readonly description: string | undefined;
}

interface NodeCommon {
  readonly name: string;
  /** Project-relative path of the declaring file, with `/` separators. */
  readonly file: string;
  readonly position: SourcePosition;
  readonly description: string | undefined;
  readonly owner: string | undefined;
  readonly tags: readonly string[];
  readonly columns: readonly ColumnDeclaration[];
  readonly checks: readonly CheckDeclaration[];
}

export interface SourceNode extends NodeCommon {
  readonly type: 'source';
  /** Absolute glob of local files, when the source is files. */
  readonly files: string | undefined;
  readonly format: 'parquet' | 'csv' | undefined;
  /** Existing warehouse table, when the source is a table. */
  readonly table: { readonly schema: string; readonly name: string } | undefined;
  readonly loadedAt: string | undefined;
  readonly eventTime: string | undefined;
  readonly freshness: { readonly warnAfterMs: number | undefined; readonly errorAfterMs: number | undefined };
}

export interface TypeScriptModelContext {
  /** The quoted relation of a declared input. */
  ref(name: string): string;
  /** Runs a read-only query on the warehouse (for small lookups that shape the SQL). */
  sql(query: string): Promise<readonly Record<string, unknown>[]>;
}

export interface ModelNode extends NodeCommon {
  readonly type: 'model';
  readonly language: 'sql' | 'typescript';
  readonly kind: Materialization;
  /** The file's full text (SQL models) — reference offsets point into it. */
  readonly text: string;
  /** Offset where the SELECT starts (after the header comment). */
  readonly bodyOffset: number;
  readonly references: readonly TableReference[];
  /** Names of the models and sources this model reads, in first-reference order. */
  readonly dependsOn: readonly string[];
  /** Formatting- and comment-insensitive form of the definition, for fingerprints. */
  readonly normalized: string;
  readonly timeColumn: string | undefined;
  readonly uniqueKey: readonly string[];
  readonly lookbackMs: number | undefined;
  readonly changeCategory: 'breaking' | 'non-breaking' | undefined;
  /** TypeScript models: returns the SELECT that produces the model. */
  readonly build: ((context: TypeScriptModelContext) => Promise<string> | string) | undefined;
}

export type ProjectNode = SourceNode | ModelNode;

export interface UnitTestFixture {
  readonly rows: readonly Readonly<Record<string, unknown>>[] | undefined;
  /** Absolute path of a CSV fixture. */
  readonly csv: string | undefined;
}

export interface UnitTest {
  readonly name: string;
  readonly model: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly file: string;
  readonly position: SourcePosition;
  readonly inputs: Readonly<Record<string, UnitTestFixture>>;
  readonly expect: UnitTestFixture & { readonly ordered: boolean };
}

export interface Project {
  /** Absolute path of the project folder. */
  readonly root: string;
  readonly config: ProjectConfig;
  readonly sources: ReadonlyMap<string, SourceNode>;
  readonly models: ReadonlyMap<string, ModelNode>;
  readonly tests: readonly UnitTest[];
  /** Every node name in dependency order (parents before children). */
  readonly order: readonly string[];
  /** `alerts.yaml`, when the project has one. */
  readonly alerts?: AlertsFile;
}

/** Looks up a model or source by name, case-insensitively, as SQL engines do. */
export function findNode(project: Project, name: string): ProjectNode | undefined {
  return (
    project.models.get(name) ??
    project.sources.get(name) ??
    [...project.models.values(), ...project.sources.values()].find(
      (n) => n.name.toLowerCase() === name.toLowerCase(),
    )
  );
}
