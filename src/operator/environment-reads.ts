/**
 * Query serving's seam on the operator: reads of an environment's views, on the same in-process
 * warehouse the operator releases on (`GitOpsReconciler.withReadWarehouse`), through the
 * warehouse's sandbox (`warehouse.reads`). The HTTP route and the PostgreSQL-protocol server both
 * read through an `EnvironmentReader`; neither knows the warehouse or the reconciler.
 */
import { ConflictError, InvalidArgumentError, SlipwayError } from '../core/errors.js';
import { SOURCES_SCHEMA } from '../core/warehouse-layout.js';
import type { ReadResult, SqlValue, Warehouse } from '../warehouse/warehouse.js';

export interface EnvironmentReadRequest {
  readonly environment: string;
  readonly sql: string;
  /** Other environments qualified names may read (the PostgreSQL protocol shows each as a schema). */
  readonly alsoReadable?: readonly string[];
  readonly params?: readonly SqlValue[];
  /** Rows returned at most (capped by the reader's own maximum). */
  readonly maxRows?: number;
  /** Default and maximum: the reader's statement timeout. */
  readonly timeoutMs?: number;
  /** Aborted when the client goes away: the statement is interrupted. */
  readonly signal?: AbortSignal;
}

export interface EnvironmentReader {
  /** The environments a reader may read (each a schema of views). */
  environments(): readonly string[];
  read(request: EnvironmentReadRequest): Promise<ReadResult>;
}

export interface ReadLimits {
  /** Rows a read returns at most, whatever it asks for. Default 100 000. */
  readonly maxRows: number;
  /** Rows a read returns when it does not say. Default 10 000. */
  readonly defaultRows: number;
  /** Statement timeout (ms), and the most a read may ask for. Default 30 s. */
  readonly timeoutMs: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = Object.freeze({
  maxRows: 100_000,
  defaultRows: 10_000,
  timeoutMs: 30_000,
});

interface ReadWarehouseSource {
  readonly environments: readonly { readonly name: string }[];
  withReadWarehouse<T>(body: (warehouse: Warehouse) => Promise<T>): Promise<T>;
}

/**
 * Reads on the operator's warehouse. `leader` says whether this process holds the warehouse (a
 * standby does not open the file; its reads are refused with a conflict naming the holder).
 */
export class OperatorEnvironmentReader implements EnvironmentReader {
  readonly #source: ReadWarehouseSource;
  readonly #limits: ReadLimits;
  readonly #leader: () => { readonly leader: boolean; readonly holder?: string | undefined };

  constructor(
    source: ReadWarehouseSource,
    leader: () => { readonly leader: boolean; readonly holder?: string | undefined },
    limits: Partial<ReadLimits> = {},
  ) {
    this.#source = source;
    this.#leader = leader;
    this.#limits = { ...DEFAULT_READ_LIMITS, ...limits };
  }

  environments(): readonly string[] {
    return this.#source.environments.map((e) => e.name);
  }

  async read(request: EnvironmentReadRequest): Promise<ReadResult> {
    const known = this.environments();
    const unknown = [request.environment, ...(request.alsoReadable ?? [])].find((e) => !known.includes(e));
    if (unknown !== undefined) {
      throw new SlipwayError('not_found', `unknown environment '${unknown}'`, {
        hint: `the environments are ${known.join(', ') || '(none loaded yet)'}`,
      });
    }
    const { leader, holder } = this.#leader();
    if (!leader) {
      throw new ConflictError(
        `this operator is a standby and does not hold the warehouse${holder ? ` (the leader is ${holder})` : ''}`,
        { hint: 'send reads to the leader (its operator.json or the service in front of it)' },
      );
    }
    const maxRows = request.maxRows ?? this.#limits.defaultRows;
    if (!Number.isInteger(maxRows) || maxRows < 0) {
      throw new InvalidArgumentError(`the row limit must be a whole number, not ${maxRows}`);
    }
    const timeoutMs = Math.min(request.timeoutMs ?? this.#limits.timeoutMs, this.#limits.timeoutMs);
    return this.#source.withReadWarehouse(async (warehouse) => {
      const reads = warehouse.reads;
      if (!reads) throw new InvalidArgumentError(`the ${warehouse.engine} warehouse does not serve reads`);
      return reads.query({
        sql: request.sql,
        schema: request.environment,
        // Sources (file sources are views there) are readable by name, as `slipway query` resolves them.
        alsoReadable: [...(request.alsoReadable ?? []), SOURCES_SCHEMA],
        environments: known,
        ...(request.params ? { params: request.params } : {}),
        maxRows: Math.min(maxRows, this.#limits.maxRows),
        timeoutMs,
        ...(request.signal ? { signal: request.signal } : {}),
      });
    });
  }
}
