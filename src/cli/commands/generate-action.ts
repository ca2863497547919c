/**
 * `slipway generate`: the reference project's synthetic data. `--slice N` appends the next time
 * slice (new transactions, late events, changed customers) so runs and incremental models have
 * real work. The generation itself is wired in `src/app/` (SQL on an in-memory DuckDB writing Parquet).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { type GeneratedSummary, generateReferenceData } from '../../app/generate-reference-data.js';
import { formatDuration } from '../../core/duration.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { type GlobalOptions, projectDir } from '../project-context.js';
import { createOutput, renderTable, status } from '../render/terminal.js';

interface GenerateOptions extends GlobalOptions {
  readonly scale: string;
  readonly slice: string;
  readonly seed: string;
  readonly start?: string;
}

export interface GeneratedData {
  readonly transactions: number;
  readonly summary: GeneratedSummary;
  readonly durationMs: number;
}

/** What slice 0 was generated with, kept so later slices continue the same history. */
interface GeneratorSettings {
  readonly scale: number;
  readonly seed: number;
  readonly historyStart: string;
}

const SETTINGS_FILE = '.generator.json';

/**
 * Generates one slice of data into `<root>/data`. Slice 0 starts a 30-day history ending today
 * (so freshness checks pass on a new project) unless `historyStart` says otherwise; later slices
 * reuse slice 0's scale, seed and start.
 */
export async function generateData(
  root: string,
  options: {
    scale: number;
    slice: number;
    seed: number;
    historyStart?: string;
    onProgress?: (m: string) => void;
  },
): Promise<GeneratedData> {
  const began = performance.now();
  const dataDir = path.join(root, 'data');
  const settingsPath = path.join(dataDir, SETTINGS_FILE);
  let settings: GeneratorSettings;
  if (options.slice === 0) {
    settings = {
      scale: options.scale,
      seed: options.seed,
      historyStart: options.historyStart ?? new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10),
    };
  } else {
    const saved = await readFile(settingsPath, 'utf8').catch(() => undefined);
    if (saved === undefined) {
      throw new InvalidArgumentError(`slice ${options.slice} continues a history, but data/ has none`, {
        hint: 'generate slice 0 first: slipway generate --slice 0',
      });
    }
    settings = JSON.parse(saved) as GeneratorSettings;
  }
  const summary = await generateReferenceData({
    dataDir,
    scale: settings.scale,
    seed: settings.seed,
    historyStart: settings.historyStart,
    slice: options.slice,
    onProgress: options.onProgress,
  });
  if (options.slice === 0) await writeFile(settingsPath, `${JSON.stringify(settings, null, 2)}\n`);
  return {
    transactions: summary.counts.card_transactions ?? 0,
    summary,
    durationMs: performance.now() - began,
  };
}

export async function generateAction(this: Command) {
  const options = this.optsWithGlobals<GenerateOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const scale = Number(options.scale);
  const slice = Number(options.slice);
  const seed = Number(options.seed);
  if (!(scale > 0))
    throw new InvalidArgumentError(`--scale must be a positive number, not '${options.scale}'`);
  if (!Number.isInteger(slice) || slice < 0)
    throw new InvalidArgumentError(`--slice must be 0 or more, not '${options.slice}'`);
  if (!Number.isInteger(seed))
    throw new InvalidArgumentError(`--seed must be a whole number, not '${options.seed}'`);
  if (options.start !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.start)) {
    throw new InvalidArgumentError(`--start must be a date as YYYY-MM-DD, not '${options.start}'`);
  }
  const root = projectDir(options);
  const result = await generateData(root, {
    scale,
    slice,
    seed,
    historyStart: options.start,
    onProgress: output.json ? undefined : (m) => output.note(status.dim(m)),
  });
  output.data({ ...result.summary, durationMs: Math.round(result.durationMs) });
  output.line(
    renderTable(
      ['table', 'rows'],
      Object.entries(result.summary.counts).map(([t, n]) => [t, (n ?? 0).toLocaleString('en-US')]),
      ['left', 'right'],
    ),
  );
  output.line(`${status.ok('✓')} slice ${slice} written to data/ in ${formatDuration(result.durationMs)}`);
}
