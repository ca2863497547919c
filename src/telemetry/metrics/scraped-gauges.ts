/**
 * The series measured when Prometheus scrapes rather than when something happens: the warehouse
 * file's size, the age of data (freshness lag from the last freshness checks, and how long ago
 * each environment's models were last written), and the exporters' buffers and drops.
 */
import { stat } from 'node:fs/promises';
import { Counter, Gauge, type Registry } from 'prom-client';
import { SLIPWAY_MORE_METRICS } from '../../core/metric-names.js';

export interface ExporterStats {
  readonly exporter: string;
  readonly stats: { readonly dropped: number; readonly delivered: number; readonly queued: number };
}

/** When the data of one model in one environment was last written (a build or a run), epoch ms. */
export interface ModelWrite {
  readonly environment: string;
  readonly model: string;
  readonly writtenAtMs: number;
}

export interface ScrapedGaugeSources {
  readonly warehouseFiles?: (() => readonly string[]) | undefined;
  readonly exporters?: (() => readonly ExporterStats[]) | undefined;
  readonly modelWrites?: (() => Promise<readonly ModelWrite[]>) | undefined;
  /** Newest value each freshness check saw, by `source|model` and name (epoch ms). */
  readonly newest: ReadonlyMap<string, { readonly kind: string; readonly name: string; readonly ms: number }>;
  readonly now: () => number;
}

export function registerScrapedGauges(registry: Registry, sources: ScrapedGaugeSources): void {
  const registers = [registry];
  const { warehouseFiles, exporters, modelWrites, newest, now } = sources;
  new Gauge({
    name: SLIPWAY_MORE_METRICS.freshnessLag,
    help: 'Seconds between now and the newest value of a freshness check (source load time or model time column), as its last check saw it.',
    labelNames: ['kind', 'name'],
    registers,
    collect() {
      this.reset();
      for (const n of newest.values())
        this.set({ kind: n.kind, name: n.name }, Math.max(0, (now() - n.ms) / 1000));
    },
  });
  if (modelWrites) {
    new Gauge({
      name: SLIPWAY_MORE_METRICS.modelDataAge,
      help: "Seconds since a release or run last wrote the table an environment's model shows.",
      labelNames: ['environment', 'model'],
      registers,
      async collect() {
        this.reset();
        // A state store that cannot answer now (closing, unreachable) leaves the gauge empty for
        // this scrape rather than failing the whole exposition.
        const writes = await modelWrites().catch(() => []);
        for (const w of writes) {
          this.set(
            { environment: w.environment, model: w.model },
            Math.max(0, (now() - w.writtenAtMs) / 1000),
          );
        }
      },
    });
  }
  if (warehouseFiles) {
    new Gauge({
      name: 'slipway_warehouse_file_size_bytes',
      help: 'Size of the embedded warehouse file (DuckDB, with its write-ahead log) on disk.',
      registers,
      async collect() {
        let total = 0;
        for (const file of warehouseFiles()) {
          for (const f of [file, `${file}.wal`]) {
            total += await stat(f).then(
              (s) => s.size,
              () => 0,
            );
          }
        }
        this.set(total);
      },
    });
  }
  if (exporters) {
    new Counter({
      name: SLIPWAY_MORE_METRICS.telemetryDropped,
      help: 'Telemetry items (spans, lineage events, EMF documents) dropped: buffer full or receiver down or slow.',
      labelNames: ['exporter'],
      registers,
      collect() {
        // The exporters count (monotonically); the counter shows their totals.
        this.reset();
        for (const e of exporters()) this.inc({ exporter: e.exporter }, e.stats.dropped);
      },
    });
    new Counter({
      name: 'slipway_telemetry_delivered_total',
      help: 'Telemetry items an exporter delivered (acknowledged by the receiver).',
      labelNames: ['exporter'],
      registers,
      collect() {
        this.reset();
        for (const e of exporters()) this.inc({ exporter: e.exporter }, e.stats.delivered);
      },
    });
    new Gauge({
      name: 'slipway_telemetry_queued',
      help: 'Telemetry items waiting in an exporter buffer.',
      labelNames: ['exporter'],
      registers,
      collect() {
        for (const e of exporters()) this.set({ exporter: e.exporter }, e.stats.queued);
      },
    });
  }
}
