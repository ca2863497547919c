/**
 * The instrumentation seam of the warehouse: the lifecycle wrapper hands every statement to an
 * observer, which runs it (and may time it, trace it, count it). The warehouse knows no tracer;
 * the composition root passes one in (src/telemetry/tracing/statement-spans.ts).
 */

export interface StatementInfo {
  /** The `Warehouse` method: `query`, `execute`, `createTableAs`, `rowCount`, `transaction`, … */
  readonly method: string;
  /** The SQL, when the caller gave it (never the parameters). */
  readonly sql: string | undefined;
  /** The relation the method names, for methods without SQL (`rowCount`, `describe`, …). */
  readonly relation?: { readonly schema: string; readonly name: string };
  readonly engine: string;
}

export interface StatementObserver {
  observe<T>(statement: StatementInfo, work: () => Promise<T>): Promise<T>;
}
