/**
 * What the operator's alert loop reads besides the event log: the rules in force (alerts.yaml of
 * the commit the operator handled last, from its git mirror) and readings of its own process and
 * warehouse file (CPU, resident memory, size).
 */
import { stat } from 'node:fs/promises';
import type { ResourceReading } from '../alerting/resource-signals.js';
import { type Diagnostic, formatDiagnostic } from '../core/errors.js';
import type { GitMirror } from '../git/git-mirror.js';
import { ALERTS_FILE, type AlertsFile } from '../project/alerts-schema.js';
import { parseAlerts } from '../project/load-alerts.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * The alert rules in force: alerts.yaml of the commit the operator handled last (else the branch
 * head), read from the mirror without a checkout, once per commit. A file that does not validate
 * is reported once and evaluates nothing (`slipway validate` shows the same problems).
 */
export function alertRulesAtHandledCommit({
  mirror,
  lastHandled,
  logger,
}: {
  readonly mirror: GitMirror;
  readonly lastHandled: () => Promise<string | undefined>;
  readonly logger: Logger;
}): () => Promise<AlertsFile | undefined> {
  let cached: { sha: string; config: AlertsFile | undefined } | undefined;
  return async function currentAlertRules() {
    const sha = (await lastHandled()) ?? (await mirror.head().catch(() => undefined));
    if (!sha) return undefined;
    if (cached?.sha === sha) return cached.config;
    const text = await mirror.show(sha, ALERTS_FILE).catch(() => undefined);
    let config: AlertsFile | undefined;
    if (text !== undefined) {
      const diagnostics: Diagnostic[] = [];
      config = parseAlerts(text, undefined, diagnostics);
      if (diagnostics.length > 0)
        logger.warn(
          { sha, problems: diagnostics.map(formatDiagnostic) },
          `${ALERTS_FILE} does not validate; no alert is evaluated for this commit`,
        );
    }
    cached = { sha, config };
    return config;
  };
}

/** Readings of this process (CPU since the last reading, resident memory) and the warehouse file. */
export function processResourceReader(files: () => readonly string[]): () => Promise<ResourceReading> {
  let cpu = process.cpuUsage();
  let at = performance.now();
  return async function readResources() {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const wallMicros = Math.max(1, (now - at) * 1000);
    at = now;
    const paths = files();
    let warehouseBytes: number | undefined;
    for (const file of paths) {
      const size = await stat(file).then(
        (s) => s.size,
        () => undefined,
      );
      if (size !== undefined) warehouseBytes = (warehouseBytes ?? 0) + size;
    }
    return {
      at: new Date(),
      cpuPercent: ((used.user + used.system) / wallMicros) * 100,
      rssBytes: process.memoryUsage.rss(),
      ...(warehouseBytes === undefined ? {} : { warehouseBytes }),
    };
  };
}
