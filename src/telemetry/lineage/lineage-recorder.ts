/**
 * What the release code tells lineage (OpenLineage): a job started (a model build, an
 * environment run, a check scan), then completed or failed, with what it read and wrote. The
 * recorder turns that into run events and hands them to a transport; it never blocks the caller
 * (events are queued in a bounded buffer, drops counted).
 */

/** A dataset as OpenLineage names it: the warehouse's namespace and `schema.table`. */
export interface LineageDataset {
  readonly namespace: string;
  readonly name: string;
}

export interface LineageColumn {
  readonly name: string;
  readonly type: string;
}

/** Where an output column's values come from (OpenLineage's column lineage facet). */
export interface LineageColumnSource {
  readonly column: string;
  readonly inputs: readonly { readonly dataset: LineageDataset; readonly field: string }[];
  /** DIRECT/IDENTITY when the column is copied, DIRECT/TRANSFORMATION when computed from them. */
  readonly transformation: 'IDENTITY' | 'TRANSFORMATION';
}

export interface LineageAssertion {
  readonly assertion: string;
  readonly success: boolean;
  readonly column?: string;
}

export interface LineageJob {
  /** The job's name in Slipway's namespace: `<environment>.<model>`, `<environment>.run`, … */
  readonly name: string;
  readonly inputs: readonly LineageDataset[];
  readonly outputs: readonly LineageDataset[];
  /** The SQL the job ran (the job's sql facet); literals and all, as committed in git. */
  readonly sql?: string;
}

export interface LineageResult {
  /** Output dataset facets, keyed by the output's name. */
  readonly outputs?: readonly {
    readonly dataset: LineageDataset;
    readonly schema?: readonly LineageColumn[];
    readonly rowCount?: number;
    readonly columnLineage?: readonly LineageColumnSource[];
  }[];
  /** Input dataset facets: the data-quality assertions a check scan made on each input. */
  readonly inputs?: readonly {
    readonly dataset: LineageDataset;
    readonly assertions: readonly LineageAssertion[];
    readonly rowCount?: number;
  }[];
}

export interface LineageRun {
  readonly runId: string;
  readonly job: LineageJob;
  complete(result?: LineageResult): void;
  fail(message: string, result?: LineageResult): void;
}

export interface LineageRecorder {
  /** Namespace of the warehouse's datasets (`duckdb://…`, `postgres://host:port`). */
  datasetNamespace(engine: string): string;
  /** Emits START now; the returned run emits COMPLETE or FAIL. `parent` nests it (a run's models). */
  start(job: LineageJob, parent?: LineageRun): LineageRun;
  shutdown(): Promise<void>;
}
