/**
 * OpenLineage run events (spec 2-0-2): START when a job begins, COMPLETE or FAIL when it ends,
 * with the dataset facets the spec defines — `schema`, `columnLineage`, `outputStatistics` on
 * outputs, `dataQualityMetrics` and `dataQualityAssertions` on inputs — and the run's `parent`
 * and `errorMessage`, the job's `sql` and `jobType`. Events are queued (bounded, never waited
 * for) and shipped by a transport: HTTP (Marquez's `POST /api/v1/lineage`, any OpenLineage
 * endpoint) or a file of JSON lines.
 */
import { randomUUID } from 'node:crypto';
import { DeliveryQueue, type DeliveryStats } from '../delivery-queue.js';
import type {
  LineageDataset,
  LineageJob,
  LineageRecorder,
  LineageResult,
  LineageRun,
} from './lineage-recorder.js';

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const PRODUCER = 'https://github.com/slipway-data/slipway';
const FACET = (name: string, version: string): string =>
  `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}`;

export type OpenLineageEvent = Readonly<Record<string, unknown>>;

/** Ships a batch of events; rejects when the receiver did not take them. */
export type LineageTransport = (events: readonly OpenLineageEvent[], signal: AbortSignal) => Promise<void>;

export interface OpenLineageRecorderOptions {
  readonly transport: LineageTransport;
  /** The jobs' namespace (OPENLINEAGE_NAMESPACE). Default `slipway`. */
  readonly namespace?: string;
  /** Dataset namespace per engine, e.g. `duckdb://operator-home/warehouse.duckdb`. */
  readonly datasetNamespace?: (engine: string) => string;
  readonly maxQueue?: number;
  readonly timeoutMs?: number;
  readonly onError?: (error: unknown, dropped: number) => void;
  readonly clock?: () => Date;
}

export class OpenLineageRecorder implements LineageRecorder {
  readonly #namespace: string;
  readonly #datasetNamespace: (engine: string) => string;
  readonly #queue: DeliveryQueue<OpenLineageEvent>;
  readonly #clock: () => Date;

  constructor({
    transport,
    namespace = 'slipway',
    datasetNamespace = (engine) => engine,
    maxQueue = 4096,
    timeoutMs = 10_000,
    onError,
    clock = () => new Date(),
  }: OpenLineageRecorderOptions) {
    this.#namespace = namespace;
    this.#datasetNamespace = datasetNamespace;
    this.#clock = clock;
    this.#queue = new DeliveryQueue({
      send: transport,
      maxQueue,
      maxBatch: 50,
      delayMs: 200,
      timeoutMs,
      ...(onError ? { onError } : {}),
    });
  }

  get stats(): DeliveryStats {
    return this.#queue.stats;
  }

  datasetNamespace(engine: string): string {
    return this.#datasetNamespace(engine);
  }

  start(job: LineageJob, parent?: LineageRun): LineageRun {
    const runId = randomUUID();
    const emit = (eventType: string, result: LineageResult | undefined, error?: string): void => {
      this.#queue.push(this.#event(eventType, runId, job, parent, result, error));
    };
    emit('START', undefined);
    let ended = false;
    return {
      runId,
      job,
      complete: (result) => {
        if (ended) return;
        ended = true;
        emit('COMPLETE', result);
      },
      fail: (message, result) => {
        if (ended) return;
        ended = true;
        emit('FAIL', result, message);
      },
    };
  }

  /** Ships what is queued now (tests, benchmarks). */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  shutdown(): Promise<void> {
    return this.#queue.drain();
  }

  #event(
    eventType: string,
    runId: string,
    job: LineageJob,
    parent: LineageRun | undefined,
    result: LineageResult | undefined,
    error: string | undefined,
  ): OpenLineageEvent {
    const facet = (name: string, version: string, body: Record<string, unknown>) => ({
      _producer: PRODUCER,
      _schemaURL: FACET(name, version),
      ...body,
    });
    const runFacets: Record<string, unknown> = {};
    if (parent) {
      runFacets['parent'] = facet('ParentRunFacet', '1-1-0', {
        run: { runId: parent.runId },
        job: { namespace: this.#namespace, name: parent.job.name },
      });
    }
    if (error !== undefined) {
      runFacets['errorMessage'] = facet('ErrorMessageRunFacet', '1-0-1', {
        message: error,
        programmingLanguage: 'SQL',
      });
    }
    const jobFacets: Record<string, unknown> = {
      jobType: facet('JobTypeJobFacet', '2-0-3', {
        processingType: 'BATCH',
        integration: 'SLIPWAY',
        jobType: 'MODEL',
      }),
    };
    if (job.sql) jobFacets['sql'] = facet('SQLJobFacet', '1-1-0', { query: job.sql });
    const outputOf = (d: LineageDataset) => result?.outputs?.find((o) => sameDataset(o.dataset, d));
    const inputOf = (d: LineageDataset) => result?.inputs?.find((i) => sameDataset(i.dataset, d));
    const inputs = job.inputs.map((d) => {
      const measured = inputOf(d);
      const inputFacets: Record<string, unknown> = {};
      if (measured) {
        inputFacets['dataQualityAssertions'] = facet('DataQualityAssertionsDatasetFacet', '1-0-1', {
          assertions: measured.assertions.map((a) => ({
            assertion: a.assertion,
            success: a.success,
            ...(a.column === undefined ? {} : { column: a.column }),
          })),
        });
        if (measured.rowCount !== undefined) {
          inputFacets['dataQualityMetrics'] = facet('DataQualityMetricsInputDatasetFacet', '1-0-2', {
            rowCount: measured.rowCount,
            columnMetrics: {},
          });
        }
      }
      return { namespace: d.namespace, name: d.name, facets: {}, inputFacets };
    });
    const outputs = job.outputs.map((d) => {
      const built = outputOf(d);
      const facets: Record<string, unknown> = {};
      const outputFacets: Record<string, unknown> = {};
      if (built?.schema) {
        facets['schema'] = facet('SchemaDatasetFacet', '1-1-1', {
          fields: built.schema.map((c) => ({ name: c.name, type: c.type })),
        });
      }
      if (built?.columnLineage && built.columnLineage.length > 0) {
        facets['columnLineage'] = facet('ColumnLineageDatasetFacet', '1-2-0', {
          fields: Object.fromEntries(
            built.columnLineage.map((c) => [
              c.column,
              {
                inputFields: c.inputs.map((i) => ({
                  namespace: i.dataset.namespace,
                  name: i.dataset.name,
                  field: i.field,
                  transformations: [{ type: 'DIRECT', subtype: c.transformation }],
                })),
              },
            ]),
          ),
        });
      }
      if (built?.rowCount !== undefined) {
        outputFacets['outputStatistics'] = facet('OutputStatisticsOutputDatasetFacet', '1-0-2', {
          rowCount: built.rowCount,
        });
      }
      return { namespace: d.namespace, name: d.name, facets, outputFacets };
    });
    return {
      eventType,
      eventTime: this.#clock().toISOString(),
      producer: PRODUCER,
      schemaURL: OPENLINEAGE_SCHEMA_URL,
      run: { runId, facets: runFacets },
      job: { namespace: this.#namespace, name: job.name, facets: jobFacets },
      inputs,
      outputs,
    };
  }
}

function sameDataset(a: LineageDataset, b: LineageDataset): boolean {
  return a.namespace === b.namespace && a.name === b.name;
}
