import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from './chart.ts';
import { ofKind, one, renderValid } from './test-support/render.ts';
import { CHART, KIND_VALUES, MAJORS, PRODUCTION_VALUES, REPO_ROOT } from './test-support/repo.ts';

// What the chart renders, read from real helm output.
const APP = 'infra/helm/values/where2eat.yaml';

interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
  }>;
  securityContext?: Record<string, unknown> & {
    capabilities?: { drop?: string[]; add?: string[] };
  };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  startupProbe?: { httpGet?: { path: string; port: string } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
interface PodSpec {
  securityContext?: Record<string, unknown> & { seccompProfile?: { type: string } };
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  initContainers?: Container[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}

/** Pod specs of every object that runs pods. */
function podSpecs(objects: KubeObject[]): Array<[string, PodSpec]> {
  return objects.flatMap((o): Array<[string, PodSpec]> => {
    const spec = o.spec as { template?: PodTemplate } & PodSpec;
    if (o.kind === 'Pod') return [[`Pod ${o.metadata?.name}`, spec]];
    if (spec?.template?.spec) return [[`${o.kind} ${o.metadata?.name}`, spec.template.spec]];
    return [];
  });
}

const workload = (objects: KubeObject[]): KubeObject =>
  objects.find((o) => o.kind === 'Rollout' || o.kind === 'Deployment') as KubeObject;
const template = (objects: KubeObject[]): PodTemplate =>
  (workload(objects).spec as { template: PodTemplate }).template;
const app = (objects: KubeObject[]): Container =>
  template(objects).spec.containers.find((c) => c.name === 'app') as Container;
const envOf = (c: Container): Record<string, unknown> =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

for (const major of MAJORS) {
  describe(`helm ${major}`, () => {
    const r: Record<
      'production' | 'staging' | 'kind' | 'kindRollout' | 'oneReplica' | 'backup' | 'runbooks',
      KubeObject[]
    > = {
      production: [],
      staging: [],
      kind: [],
      kindRollout: [],
      oneReplica: [],
      backup: [],
      runbooks: [],
    };
    beforeAll(async () => {
      [r.production, r.staging, r.kind, r.kindRollout, r.oneReplica, r.backup, r.runbooks] =
        await Promise.all([
          renderValid(major, { valuesFiles: [PRODUCTION_VALUES, APP] }),
          renderValid(major, { valuesFiles: [APP] }),
          renderValid(major, { valuesFiles: [APP, KIND_VALUES] }),
          // As kind runs it once the Rollout is switched on there: a canary without analysis.
          renderValid(major, { valuesFiles: [APP, KIND_VALUES], set: ['rollout.enabled=true'] }),
          renderValid(major, { valuesFiles: [APP], set: ['replicaCount=1'] }),
          renderValid(major, {
            valuesFiles: [PRODUCTION_VALUES, APP],
            set: ['backup.enabled=true'],
          }),
          renderValid(major, {
            valuesFiles: [PRODUCTION_VALUES, APP],
            set: [
              'metrics.prometheusRule.runbookBaseUrl=https://github.com/acme/where2eat/blob/main/',
            ],
          }),
        ]);
    });

    it('production renders a Rollout with its canary, analysis, autoscaler and guards', () => {
      const kinds = new Set(r.production.map((o) => o.kind));
      for (const kind of [
        'Rollout',
        'AnalysisTemplate',
        'ServiceMonitor',
        'PrometheusRule',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'NetworkPolicy',
        'Ingress',
        'Service',
        'ServiceAccount',
        'Job',
        'Pod',
      ]) {
        expect(kinds, kind).toContain(kind);
      }
      expect(kinds).not.toContain('Deployment');
      expect(ofKind(r.staging, 'Deployment')).toHaveLength(1);
      expect(ofKind(r.staging, 'Rollout')).toHaveLength(0);
    });

    it('every pod, container and hook runs as non-root, read-only, without capabilities, seccomp RuntimeDefault', () => {
      for (const objects of [r.production, r.staging, r.kind]) {
        const pods = podSpecs(objects);
        expect(pods.length).toBeGreaterThan(1);
        for (const [name, pod] of pods) {
          expect(pod.securityContext?.runAsNonRoot, name).toBe(true);
          expect(pod.securityContext?.seccompProfile?.type, name).toBe('RuntimeDefault');
          for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
            expect(c.securityContext?.readOnlyRootFilesystem, `${name} ${c.name}`).toBe(true);
            expect(c.securityContext?.allowPrivilegeEscalation, `${name} ${c.name}`).toBe(false);
            expect(c.securityContext?.capabilities?.drop, `${name} ${c.name}`).toEqual(['ALL']);
            expect(c.securityContext?.capabilities?.add ?? [], `${name} ${c.name}`).toEqual([]);
          }
        }
      }
      // The migration hook Job and the helm test Pod are checked too.
      expect(podSpecs(r.production).map(([n]) => n.split(' ')[0])).toEqual(
        expect.arrayContaining(['Rollout', 'Job', 'Pod']),
      );
      expect(template(r.production).spec.automountServiceAccountToken).toBe(false);
    });

    it('renders the scheduled backup only when asked: a CronJob with the scripts, a kept claim, the URL from the Secret, a locked-down pod', () => {
      expect(ofKind(r.production, 'CronJob')).toHaveLength(0);
      // biome-ignore lint/suspicious/noExplicitAny: a rendered CronJob, read field by field
      const cron = one(r.backup, 'CronJob') as KubeObject & { spec: Record<string, any> };
      expect(cron.spec).toMatchObject({ concurrencyPolicy: 'Forbid', timeZone: 'Etc/UTC' });
      const pod = cron.spec.jobTemplate.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const [container] = pod.containers;
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(container.command).toEqual(['bash', '/scripts/db-backup-scheduled.sh']);
      expect(
        container.env.find((e: { name: string }) => e.name === 'DATABASE_URL').valueFrom
          .secretKeyRef.key,
      ).toBe('database-url');
      const scripts = ofKind(r.backup, 'ConfigMap').find((c) =>
        c.metadata?.name?.endsWith('-backup-scripts'),
      ) as KubeObject & { data: Record<string, string> };
      expect(scripts.data['db-backup-scheduled.sh']).toBe(
        readFileSync(join(REPO_ROOT, 'infra/scripts/db-backup-scheduled.sh'), 'utf8'),
      );
      expect(scripts.data['db-backup.sh']).toBe(
        readFileSync(join(REPO_ROOT, 'infra/scripts/db-backup.sh'), 'utf8'),
      );
      const claim = one<{ metadata: { annotations: Record<string, string> } }>(
        r.backup,
        'PersistentVolumeClaim',
      );
      expect(claim.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    });

    it('turns every relative runbook_url into a link under metrics.prometheusRule.runbookBaseUrl', () => {
      const urls = (objects: KubeObject[]) =>
        (
          one(objects, 'PrometheusRule') as KubeObject & {
            spec: { groups: Array<{ rules: Array<{ annotations?: { runbook_url?: string } }> }> };
          }
        ).spec.groups
          .flatMap((g) => g.rules)
          .map((rule) => rule.annotations?.runbook_url)
          .filter((url): url is string => url !== undefined);
      const relative = urls(r.production);
      expect(relative.length).toBeGreaterThan(4);
      expect(relative.every((url) => url.startsWith('docs/'))).toBe(true);
      expect(urls(r.runbooks)).toEqual(
        relative.map((url) => `https://github.com/acme/where2eat/blob/main/${url}`),
      );
    });

    it('probes the app on /health/live and /health/ready', () => {
      for (const objects of [r.production, r.staging, r.kind]) {
        const c = app(objects);
        expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
        expect(c.readinessProbe?.httpGet?.path).toBe('/health/ready');
        expect(c.startupProbe?.httpGet?.path).toBe('/health/live');
      }
    });

    it('gives the pod time for preStop + drain + in-flight timeout + 2 s', () => {
      for (const objects of [r.production, r.staging, r.kind]) {
        const c = app(objects);
        const env = envOf(c);
        const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
        const needed =
          preStop +
          Math.ceil((Number(env.SHUTDOWN_DRAIN_MS) + Number(env.SHUTDOWN_TIMEOUT_MS)) / 1000) +
          2;
        expect(template(objects).spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(needed);
      }
    });

    it('wires the canary: services, ingress, analysis template, autoscaler, PDB and ServiceMonitor select it', () => {
      const objects = r.production;
      const rollout = one<{
        metadata: { name: string };
        spec: {
          selector: { matchLabels: Record<string, string> };
          template: PodTemplate;
          strategy: {
            canary: {
              canaryService: string;
              stableService: string;
              trafficRouting: { nginx: { stableIngress: string } };
              analysis: {
                templates: Array<{ templateName: string }>;
                args: Array<{ name: string }>;
              };
            };
          };
        };
      }>(objects, 'Rollout');
      const canary = rollout.spec.strategy.canary;
      const labels = rollout.spec.template.metadata.labels;
      expect(matches(rollout.spec.selector.matchLabels, labels)).toBe(true);
      for (const name of [canary.canaryService, canary.stableService]) {
        const service = one<{ spec: { selector: Record<string, string> } }>(
          objects,
          'Service',
          name,
        );
        expect(matches(service.spec.selector, labels), name).toBe(true);
      }
      expect(canary.canaryService).not.toBe(canary.stableService);
      one(objects, 'Ingress', canary.trafficRouting.nginx.stableIngress);
      const names = canary.analysis.templates.map((t: { templateName: string }) => t.templateName);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) one(objects, 'AnalysisTemplate', name);
      const analysis = one<{ spec: { args: Array<{ name: string }> } }>(
        objects,
        'AnalysisTemplate',
        names[0],
      );
      expect(canary.analysis.args.map((a: { name: string }) => a.name).sort()).toEqual(
        analysis.spec.args.map((a) => a.name).sort(),
      );
      const hpa = one<{
        spec: { scaleTargetRef: { kind: string; name: string; apiVersion: string } };
      }>(objects, 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        name: rollout.metadata.name,
      });
      const pdb = one<{ spec: { selector: { matchLabels: Record<string, string> } } }>(
        objects,
        'PodDisruptionBudget',
      );
      expect(matches(pdb.spec.selector.matchLabels, labels)).toBe(true);
      const monitor = one<{ spec: { selector: { matchLabels: Record<string, string> } } }>(
        objects,
        'ServiceMonitor',
      );
      const scraped = ofKind<{ metadata: { labels: Record<string, string> } }>(
        objects,
        'Service',
      ).filter((s) => matches(monitor.spec.selector.matchLabels, s.metadata.labels));
      expect(scraped).toHaveLength(1);
    });

    it('keeps Argo Rollouts placeholders out of Helm templating: {{args.canary-hash}} reaches the query', () => {
      const analysis = one<{
        spec: { metrics: Array<{ provider: { prometheus: { query: string } } }> };
      }>(r.production, 'AnalysisTemplate');
      for (const metric of analysis.spec.metrics) {
        expect(metric.provider.prometheus.query).toContain('{{args.canary-hash}}');
      }
    });

    it('ships the SLO rules of infra/observability as its PrometheusRule', () => {
      const source = parse(
        readFileSync(join(REPO_ROOT, 'infra/observability/prometheus/slo-rules.yaml'), 'utf8'),
      ) as { groups: unknown[] };
      const rule = one<{ spec: typeof source }>(r.production, 'PrometheusRule');
      expect(rule.spec.groups).toEqual(source.groups);
    });

    it('kind runs only PostgreSQL: no Redis, Unleash or collector settings, the database URL from the Secret', () => {
      const c = app(r.kind);
      const env = envOf(c);
      for (const name of [
        'UNLEASH_URL',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'REDIS_URL',
        'UNLEASH_API_TOKEN',
      ]) {
        expect(env, name).not.toHaveProperty(name);
        expect(envOf(app(r.staging)), name).toHaveProperty(name);
      }
      expect(env.DATABASE_URL).toEqual({
        secretKeyRef: { name: 'where2eat', key: 'database-url' },
      });
      expect(c.image).toBe('where2eat:ci');
      expect(c.imagePullPolicy).toBe('Never');
      expect((workload(r.kind).spec as { replicas: number }).replicas).toBe(1);
      const kinds = new Set(r.kind.map((o) => o.kind));
      for (const absent of [
        'Ingress',
        'ServiceMonitor',
        'PrometheusRule',
        'HorizontalPodAutoscaler',
        'Rollout',
      ]) {
        expect(kinds, absent).not.toContain(absent);
      }
    });

    it('kind with rollout.enabled renders a Rollout without analysis (no Prometheus in kind)', () => {
      expect(ofKind(r.kindRollout, 'Rollout')).toHaveLength(1);
      expect(ofKind(r.kindRollout, 'Deployment')).toHaveLength(0);
      expect(ofKind(r.kindRollout, 'AnalysisTemplate')).toHaveLength(0);
      const canary = (
        one(r.kindRollout, 'Rollout').spec as { strategy: { canary: Record<string, unknown> } }
      ).strategy.canary;
      expect(canary).not.toHaveProperty('analysis');
    });

    it('accepts 1 replica outside production, so the kind test can run small', () => {
      expect((workload(r.oneReplica).spec as { replicas: number }).replicas).toBe(1);
    });
  });
}

describe('values.schema.json', () => {
  it('is draft-07, the JSON Schema version helm 3 validates with', () => {
    const schema = JSON.parse(
      readFileSync(join(REPO_ROOT, CHART, 'values.schema.json'), 'utf8'),
    ) as { $schema: string };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });
});
