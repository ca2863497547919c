/**
 * The operator's Helm chart rendered with its default values and with the HA values, each
 * manifest validated against the Kubernetes schemas (kubernetes-models); the ServiceMonitor by
 * its CRD's shape; the Argo CD Application by @kubernetes-models/argo-cd.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderChart, renderTemplate } from '../../src/infra/helm-render.js';

const DEPLOY = join(import.meta.dirname, '../../deploy');
const CHART = join(DEPLOY, 'helm/slipway-operator');
const RELEASE = { name: 'slipway', namespace: 'slipway' };

function validate(manifest: Record<string, unknown>): void {
  switch (manifest.kind) {
    case 'Deployment':
      new Deployment(manifest as never).validate();
      return;
    case 'Service':
      new Service(manifest as never).validate();
      return;
    case 'PodDisruptionBudget':
      new PodDisruptionBudget(manifest as never).validate();
      return;
    case 'ServiceMonitor': {
      // The CRD (monitoring.coreos.com/v1) requires spec.selector and endpoints with a port.
      expect(manifest.apiVersion).toBe('monitoring.coreos.com/v1');
      const spec = manifest.spec as { selector?: { matchLabels?: object }; endpoints?: { port?: string }[] };
      expect(spec.selector?.matchLabels).toBeTypeOf('object');
      expect(spec.endpoints?.length).toBeGreaterThan(0);
      for (const e of spec.endpoints ?? []) expect(e.port).toBeTypeOf('string');
      return;
    }
    default:
      throw new Error(`unexpected kind ${String(manifest.kind)}`);
  }
}

describe('operator Helm chart', () => {
  it('renders with default values into valid manifests: one replica, probes on /healthz, secrets by reference', async () => {
    const manifests = await renderChart(CHART, RELEASE);
    expect(manifests.map((m) => m.kind).sort()).toEqual(['Deployment', 'Service']);
    for (const m of manifests) validate(m);
    const deployment = new Deployment(manifests.find((m) => m.kind === 'Deployment') as never);
    expect(deployment.spec?.replicas).toBe(1);
    const container = deployment.spec?.template.spec?.containers[0];
    expect(container?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container?.readinessProbe?.httpGet?.path).toBe('/healthz');
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e]));
    for (const name of ['SLIPWAY_PG_URL', 'SLIPWAY_API_TOKENS', 'SLIPWAY_GITHUB_WEBHOOK_SECRET']) {
      expect(env[name]?.value, `${name} is not inline`).toBeUndefined();
      expect(env[name]?.valueFrom?.secretKeyRef?.name).toBe('slipway-operator');
    }
  });

  it('renders with HA values: two replicas sharing the lease, a PDB and a ServiceMonitor, all valid', async () => {
    const manifests = await renderChart(CHART, RELEASE, [join(CHART, 'values-ha.yaml')]);
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceMonitor',
    ]);
    for (const m of manifests) validate(m);
    const deployment = new Deployment(manifests.find((m) => m.kind === 'Deployment') as never);
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.template.spec?.containers[0]?.args).toEqual(
      expect.arrayContaining(['--lease-ttl', '15s']),
    );
  });

  it('a manifest the schema refuses is caught (replicas as a string)', async () => {
    const manifests = await renderChart(CHART, RELEASE);
    const deployment = structuredClone(manifests.find((m) => m.kind === 'Deployment')) as {
      spec: { replicas: unknown };
    };
    deployment.spec.replicas = 'two';
    expect(() => new Deployment(deployment as never).validate()).toThrow();
  });

  it('the renderer refuses what the chart must not use', () => {
    expect(() => renderTemplate('{{ include "x" . }}', {}, RELEASE)).toThrow(/unsupported expression/);
    expect(() => renderTemplate('{{ .Values.a | upper }}', { a: 'x' }, RELEASE)).toThrow(
      /unsupported function/,
    );
    expect(() => renderTemplate('{{ .Values.missing }}', {}, RELEASE)).toThrow(/has no value/);
  });
});

describe('Argo CD Application', () => {
  it('validates and deploys the chart with the HA values', async () => {
    const obj = parse(await readFile(join(DEPLOY, 'argocd/application.yaml'), 'utf8'));
    const app = new Application(obj);
    app.validate();
    expect(app.spec.source?.path).toBe('deploy/helm/slipway-operator');
    expect(app.spec.source?.helm?.valueFiles).toContain('values-ha.yaml');
  });
});
