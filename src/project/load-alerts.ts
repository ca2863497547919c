/**
 * Reads `alerts.yaml` (optional) and checks it: the schema, then what the schema cannot say —
 * rule names are unique, every channel a rule names is defined, every environment it names is
 * one of the project's. Every problem is a diagnostic at `alerts.yaml:line:col`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { closestMatch } from '../core/did-you-mean.js';
import type { Diagnostic } from '../core/errors.js';
import { ALERTS_FILE, type AlertsFile, alertsFileSchema } from './alerts-schema.js';
import { parseYamlSource, validateWithSchema } from './yaml-source.js';

/** The project's alert rules, or undefined when it has no `alerts.yaml`. */
export async function loadAlerts(
  root: string,
  environments: readonly string[] | undefined,
  diagnostics: Diagnostic[],
): Promise<AlertsFile | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(root, ALERTS_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseAlerts(text, environments, diagnostics);
}

export function parseAlerts(
  text: string,
  environments: readonly string[] | undefined,
  diagnostics: Diagnostic[],
): AlertsFile | undefined {
  const source = parseYamlSource(ALERTS_FILE, text);
  diagnostics.push(...source.diagnostics);
  if (source.diagnostics.length > 0) return undefined;
  const { data, diagnostics: problems } = validateWithSchema(source, alertsFileSchema, source.value);
  diagnostics.push(...problems);
  if (!data) return undefined;
  const before = diagnostics.length;
  const channels = Object.keys(data.channels);
  const seen = new Set<string>();
  data.rules.forEach((rule, i) => {
    if (seen.has(rule.name))
      diagnostics.push({
        position: source.positionOf(['rules', i, 'name']),
        message: `alert rule '${rule.name}' is defined twice`,
        hint: 'each rule needs its own name',
      });
    seen.add(rule.name);
    rule.channels?.forEach((channel, j) => {
      if (!channels.includes(channel))
        diagnostics.push({
          position: source.positionOf(['rules', i, 'channels', j]),
          message: `unknown channel '${channel}'`,
          hint: hintFor(channel, channels, 'channels defined'),
        });
    });
    if (environments)
      rule.environments?.forEach((environment, j) => {
        if (!environments.includes(environment))
          diagnostics.push({
            position: source.positionOf(['rules', i, 'environments', j]),
            message: `unknown environment '${environment}'`,
            hint: hintFor(environment, environments, 'environments in slipway.yaml'),
          });
      });
  });
  return diagnostics.length === before ? data : undefined;
}

function hintFor(name: string, known: readonly string[], what: string): string {
  const close = closestMatch(name, known);
  return close ? `did you mean '${close}'?` : `${what}: ${known.join(', ') || 'none'}`;
}
