/**
 * Renders the operator's Helm chart for tests, without a helm binary. No maintained npm package
 * renders Go templates with Helm's semantics in-process (the Go-template wrappers on npm spawn a
 * Go binary or lack Helm's functions), so the chart keeps to a small subset and this renders it:
 * `{{ .Values.a.b }}`, `{{ .Release.Name }}`, `{{ .Release.Namespace }}`, `{{ x | quote }}`,
 * and whole-file `{{- if x }}` ... `{{- end }}`. Anything else is refused, so the chart cannot
 * drift past what is checked here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface HelmRelease {
  readonly name: string;
  readonly namespace: string;
}

type Values = Record<string, unknown>;

function deepMerge(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prior && typeof prior === 'object'
        ? deepMerge(prior as Values, value as Values)
        : value;
  }
  return out;
}

function lookup(expr: string, scope: { Values: Values; Release: Values }): unknown {
  const m = /^\.(Values|Release)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/.exec(expr.trim());
  if (!m) throw new Error(`helm-render: unsupported expression '${expr}'`);
  let value: unknown = m[1] === 'Values' ? scope.Values : scope.Release;
  for (const key of (m[2] ?? '').slice(1).split('.')) {
    value = value && typeof value === 'object' ? (value as Values)[key] : undefined;
  }
  return value;
}

export function renderTemplate(text: string, values: Values, release: HelmRelease): string {
  const scope = { Values: values, Release: { Name: release.name, Namespace: release.namespace } };
  const ifBlock = /^\{\{- if ([^}]+) \}\}\n([\s\S]*)\{\{- end \}\}\n?$/.exec(text);
  if (ifBlock) {
    return lookup(ifBlock[1] ?? '', scope) ? renderTemplate(ifBlock[2] ?? '', values, release) : '';
  }
  return text.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, inner: string) => {
    const [expr, ...pipes] = inner.split('|').map((p) => p.trim());
    let value = lookup(expr ?? '', scope);
    if (value === undefined) throw new Error(`helm-render: '${expr}' has no value`);
    for (const pipe of pipes) {
      if (pipe !== 'quote') throw new Error(`helm-render: unsupported function '${pipe}'`);
      value = JSON.stringify(String(value));
    }
    return String(value);
  });
}

/** The chart's manifests for the default values merged with each values file given. */
export async function renderChart(
  chartDir: string,
  release: HelmRelease,
  valueFiles: readonly string[] = [],
): Promise<Record<string, unknown>[]> {
  let values = parse(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as Values;
  for (const file of valueFiles) values = deepMerge(values, parse(await readFile(file, 'utf8')) as Values);
  const manifests: Record<string, unknown>[] = [];
  const templates = (await readdir(join(chartDir, 'templates'))).filter((f) => f.endsWith('.yaml')).sort();
  for (const name of templates) {
    const rendered = renderTemplate(
      await readFile(join(chartDir, 'templates', name), 'utf8'),
      values,
      release,
    );
    for (const doc of parseAllDocuments(rendered)) {
      const obj = doc.toJS() as Record<string, unknown> | null;
      if (obj) manifests.push(obj);
    }
  }
  return manifests;
}
