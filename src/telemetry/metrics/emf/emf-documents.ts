/**
 * CloudWatch Embedded Metric Format documents (the published specification:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * One document per label set: the labels are its dimension members (strings), each metric's
 * values its target member (a number, or an array of at most 100), and `_aws` holds the
 * Timestamp and one MetricDirective (Namespace, Dimensions, Metrics). Within the limits: at most
 * 100 metric definitions per directive, 30 dimension keys per dimension set, 100 values per
 * metric and `maxBytes` (256 KB, a CloudWatch Logs event; less for a UDP datagram) per
 * document — more is split over several documents.
 */

export const EMF_LIMITS = {
  metricsPerDirective: 100,
  dimensionsPerSet: 30,
  valuesPerMetric: 100,
  documentBytes: 256 * 1024,
} as const;

export type EmfUnit = 'Seconds' | 'Bytes' | 'Count' | 'None';

export interface EmfSample {
  readonly name: string;
  readonly unit: EmfUnit;
  readonly labels: Readonly<Record<string, string>>;
  /** Observations (a histogram), the increase (a counter) or the value (a gauge). */
  readonly values: readonly number[];
}

export interface EmfOptions {
  readonly namespace: string;
  /** Epoch ms of the documents' metrics. */
  readonly timestamp: number;
  readonly maxBytes?: number;
  /**
   * Dimension keys that also get a set of their own when present (`environment`), so a
   * dashboard that filters on the environment alone finds the series with more labels.
   */
  readonly rollups?: readonly string[];
}

interface Definition {
  readonly name: string;
  readonly unit: EmfUnit;
  readonly values: readonly number[];
}

/** The unit a Prometheus-style name states (`_seconds`, `_bytes`, `_total`). */
export function unitOfName(name: string): EmfUnit {
  if (/_seconds(_total)?$/.test(name)) return 'Seconds';
  if (/_bytes(_total)?$/.test(name)) return 'Bytes';
  if (name.endsWith('_total')) return 'Count';
  return 'None';
}

/**
 * The documents for `samples`, one JSON text each; samples with no values are left out.
 *
 * @example
 * emfDocuments([{ name: 'slipway_releases_total', unit: 'Count', labels: { environment: 'prod' }, values: [1] }],
 *   { namespace: 'Slipway', timestamp: Date.now() });
 */
export function emfDocuments(samples: readonly EmfSample[], options: EmfOptions): string[] {
  const maxBytes = Math.min(options.maxBytes ?? EMF_LIMITS.documentBytes, EMF_LIMITS.documentBytes);
  const groups = new Map<string, { labels: Record<string, string>; metrics: Map<string, Definition> }>();
  for (const sample of samples) {
    if (sample.values.length === 0) continue;
    const labels = dimensionsOf(sample.labels);
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let group = groups.get(key);
    if (!group) {
      group = { labels, metrics: new Map() };
      groups.set(key, group);
    }
    const known = group.metrics.get(sample.name);
    group.metrics.set(sample.name, {
      name: sample.name,
      unit: sample.unit,
      values: [...(known?.values ?? []), ...sample.values],
    });
  }
  const out: string[] = [];
  for (const { labels, metrics } of groups.values()) {
    const definitions = [...metrics.values()];
    // Round r carries each metric's r-th slice of at most 100 values (one value per name per document).
    const rounds = Math.max(
      ...definitions.map((d) => Math.ceil(d.values.length / EMF_LIMITS.valuesPerMetric)),
    );
    for (let r = 0; r < rounds; r += 1) {
      const round = definitions.flatMap((d) => {
        const values = d.values.slice(r * EMF_LIMITS.valuesPerMetric, (r + 1) * EMF_LIMITS.valuesPerMetric);
        return values.length > 0 ? [{ ...d, values }] : [];
      });
      for (let i = 0; i < round.length; i += EMF_LIMITS.metricsPerDirective) {
        out.push(
          ...splitToFit(labels, round.slice(i, i + EMF_LIMITS.metricsPerDirective), options, maxBytes),
        );
      }
    }
  }
  return out;
}

/** The labels as dimension members: at most 30 keys (the rest dropped, in name order). */
function dimensionsOf(labels: Readonly<Record<string, string>>): Record<string, string> {
  const keys = Object.keys(labels).sort().slice(0, EMF_LIMITS.dimensionsPerSet);
  return Object.fromEntries(keys.map((k) => [k, String(labels[k])]));
}

/** One document, or several smaller ones when it would exceed `maxBytes`. */
function splitToFit(
  labels: Record<string, string>,
  metrics: readonly Definition[],
  options: EmfOptions,
  maxBytes: number,
): string[] {
  const text = render(labels, metrics, options);
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  if (metrics.length > 1) {
    const half = Math.ceil(metrics.length / 2);
    return [
      ...splitToFit(labels, metrics.slice(0, half), options, maxBytes),
      ...splitToFit(labels, metrics.slice(half), options, maxBytes),
    ];
  }
  const [only] = metrics;
  if (only && only.values.length > 1) {
    const half = Math.ceil(only.values.length / 2);
    return [
      ...splitToFit(labels, [{ ...only, values: only.values.slice(0, half) }], options, maxBytes),
      ...splitToFit(labels, [{ ...only, values: only.values.slice(half) }], options, maxBytes),
    ];
  }
  throw new RangeError(
    `an EMF document for ${only?.name} does not fit in ${maxBytes} bytes (its labels are too long)`,
  );
}

function render(labels: Record<string, string>, metrics: readonly Definition[], options: EmfOptions): string {
  const keys = Object.keys(labels);
  const dimensions: string[][] = [keys];
  for (const rollup of options.rollups ?? ['environment']) {
    if (keys.includes(rollup) && keys.length > 1) dimensions.push([rollup]);
  }
  const document: Record<string, unknown> = {
    _aws: {
      Timestamp: options.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: options.namespace,
          Dimensions: dimensions,
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...labels,
  };
  for (const m of metrics) document[m.name] = m.values.length === 1 ? m.values[0] : m.values;
  return JSON.stringify(document);
}
