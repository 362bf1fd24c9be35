import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { helmBinary } from '@micro-app/helm-tool';
import { parseAllDocuments } from 'yaml';
import { durationMs } from '../argo/analysis.ts';
import { CanaryDrillError } from '../argo/errors.ts';
import type { AnalysisTemplateSpec } from '../argo/run.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const CHART = join(REPO_ROOT, 'infra/helm/micro-app');

/** The release the drill renders: CD's production install of where2eat. */
export const RELEASE = { name: 'where2eat', namespace: 'default' } as const;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface RenderedCanary {
  analysisTemplate: AnalysisTemplateSpec;
  /** The Prometheus rules file the chart ships (its PrometheusRule's groups). */
  ruleGroups: unknown[];
  /** Name of the Service the ServiceMonitor selects: Prometheus Operator's `job` and `service`. */
  metricsService: string;
  metricsPortName: string;
  /** The pod label the ServiceMonitor copies onto targets, in Prometheus spelling. */
  hashLabel: string;
  containerName: string;
  /** How long the rollout runs the background analysis (its pauses from startingStep). */
  rolloutMs: number;
}

function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
  if (found.length !== 1) {
    throw new CanaryDrillError(
      'DRILL_SETUP',
      `helm template rendered ${found.length} ${kind}${name ? ` named ${name}` : ''}, expected 1`,
    );
  }
  return found[0] as K8sObject;
}

/** Prometheus' spelling of a Kubernetes label name (as the Operator writes podTargetLabels). */
const promLabel = (label: string) => label.replace(/[^a-zA-Z0-9_]/g, '_');

/**
 * Renders the chart with real helm as CD installs where2eat in production and picks what the
 * drill needs from the output: the AnalysisTemplate, the rules, the scrape labels.
 */
export function renderCanary(): RenderedCanary {
  const out = execFileSync(
    helmBinary(4),
    [
      'template',
      RELEASE.name,
      CHART,
      '--namespace',
      RELEASE.namespace,
      '-f',
      join(REPO_ROOT, 'infra/helm/micro-app/values-production.yaml'),
      '-f',
      join(REPO_ROOT, 'infra/helm/values/where2eat.yaml'),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 32 * 1024 * 1024 },
  );
  const objects = parseAllDocuments(out)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

  const rollout = one(objects, 'Rollout');
  const canary = (rollout.spec.strategy as { canary: Record<string, unknown> }).canary;
  const analysis = canary.analysis as {
    templates: Array<{ templateName: string }>;
    startingStep?: number;
  };
  const templateName = analysis.templates[0]?.templateName;
  const template = one(objects, 'AnalysisTemplate', templateName);
  const steps = canary.steps as Array<{ pause?: { duration?: string | number } }>;
  let rolloutMs = 0;
  for (const step of steps.slice(analysis.startingStep ?? 0)) {
    if (!step.pause) continue;
    const duration = step.pause.duration;
    if (duration === undefined) {
      throw new CanaryDrillError(
        'TEMPLATE_UNSUPPORTED',
        'a pause without duration waits for a human',
      );
    }
    rolloutMs += typeof duration === 'number' ? duration * 1_000 : durationMs(duration);
  }

  const monitor = one(objects, 'ServiceMonitor');
  const selector = (monitor.spec.selector as { matchLabels: Record<string, string> }).matchLabels;
  const services = objects.filter(
    (o) =>
      o.kind === 'Service' &&
      Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v),
  );
  const service = services[0];
  if (services.length !== 1 || !service) {
    throw new CanaryDrillError(
      'DRILL_SETUP',
      `the ServiceMonitor selects ${services.length} Services`,
    );
  }
  const endpoint = (monitor.spec.endpoints as Array<{ port: string }>)[0];
  const podTargetLabels = (monitor.spec.podTargetLabels as string[] | undefined) ?? [];
  if (!podTargetLabels.includes('rollouts-pod-template-hash')) {
    throw new CanaryDrillError(
      'DRILL_SETUP',
      'the ServiceMonitor does not copy rollouts-pod-template-hash onto its targets',
    );
  }
  const template_ = rollout.spec.template as { spec: { containers: Array<{ name: string }> } };
  const rule = one(objects, 'PrometheusRule');

  return {
    analysisTemplate: template.spec as unknown as AnalysisTemplateSpec,
    ruleGroups: rule.spec.groups as unknown[],
    metricsService: service.metadata.name,
    metricsPortName: endpoint?.port ?? 'metrics',
    hashLabel: promLabel('rollouts-pod-template-hash'),
    containerName: template_.spec.containers[0]?.name ?? RELEASE.name,
    rolloutMs,
  };
}
