import * as argo from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1';
import * as externalSecrets from '@kubernetes-models/external-secrets/external-secrets.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscalingV1 from 'kubernetes-models/autoscaling/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import type { KubeObject, RenderedDocument } from './chart.ts';

interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate(): void };
}

function isModelClass(value: unknown): value is ModelClass {
  const c = value as Partial<ModelClass> | undefined;
  return (
    typeof value === 'function' &&
    typeof c?.apiVersion === 'string' &&
    typeof c.kind === 'string' &&
    typeof c.prototype?.validate === 'function'
  );
}

/** Every kind of the Kubernetes API groups a chart of ours renders, plus the CRDs it uses. */
function buildModels(): Map<string, ModelClass> {
  const models = new Map<string, ModelClass>();
  const groups = [core, apps, batch, policy, networking, autoscalingV1, autoscalingV2];
  const crds = [
    argo.Rollout,
    argo.AnalysisTemplate,
    monitoring.ServiceMonitor,
    monitoring.PrometheusRule,
    externalSecrets.ExternalSecret,
  ];
  for (const candidate of [...groups.flatMap((m) => Object.values(m)), ...crds]) {
    if (isModelClass(candidate)) models.set(`${candidate.apiVersion}/${candidate.kind}`, candidate);
  }
  return models;
}

let models: Map<string, ModelClass> | undefined;

/** `apiVersion/kind` of every object {@link validateObject} has a schema for. */
export function knownKinds(): string[] {
  models ??= buildModels();
  return [...models.keys()].sort();
}

interface Visit {
  value: object;
  read: Set<string>;
  enumerated: boolean;
}

/**
 * A proxy of `value` that records, per object, which properties the validator looked at.
 * The ajv-compiled validators of kubernetes-models test every property their schema declares
 * (`data.spec !== undefined`), and enumerate the keys of maps (labels, annotations, data). A key
 * that was neither looked at nor enumerated is not in the schema.
 */
function watched(value: unknown, path: string, visits: Map<string, Visit>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const visit: Visit = { value, read: new Set(), enumerated: false };
  visits.set(path, visit);
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) {
        if (typeof key === 'string') visit.read.add(key);
        return Reflect.get(target, key, receiver);
      }
      visit.read.add(key);
      if (!children.has(key)) {
        const child = (target as Record<string, unknown>)[key];
        children.set(key, watched(child, `${path}/${key}`, visits));
      }
      return children.get(key);
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string') visit.read.add(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    has(target, key) {
      if (typeof key === 'string') visit.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      visit.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

/** Fields of `visits` that the schema does not declare, as JSON pointers. */
function unknownFields(visits: Map<string, Visit>): string[] {
  const out: string[] = [];
  for (const [path, visit] of visits) {
    // Arrays are indexed, maps enumerated; an object whose schema names no property at all
    // (free-form, `x-kubernetes-preserve-unknown-fields`) is read by nobody either.
    if (Array.isArray(visit.value) || visit.enumerated || visit.read.size === 0) continue;
    for (const key of Object.keys(visit.value)) {
      if (!visit.read.has(key)) out.push(`${path}/${key}`);
    }
  }
  return out.sort();
}

/**
 * Validates one rendered object against the schema of its kind: the kubernetes-models class
 * for its apiVersion and kind runs `validate()`, and fields the schema does not declare
 * (`spec.replica` for `spec.replicas`) are reported, which `validate()` alone lets through.
 *
 * @param object - a rendered Kubernetes object
 * @returns the problems found, empty when the object is valid; an object of a kind without a
 *   schema here is a problem, never silently accepted
 * @example
 * validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replica: 2 } });
 * // => ['unknown field /spec/replica', …]
 */
export function validateObject(object: KubeObject): string[] {
  models ??= buildModels();
  const model = models.get(`${object.apiVersion}/${object.kind}`);
  if (!model) return [`no schema for apiVersion ${object.apiVersion} kind ${object.kind}`];
  const visits = new Map<string, Visit>();
  const problems: string[] = [];
  try {
    // The class's own validate(), run on the watched object instead of a copy of it.
    model.prototype.validate.call(watched(object, '', visits));
  } catch (error) {
    problems.push(`invalid: ${(error as Error).message}`);
    // A validator that stopped at an error did not look at everything: unknown fields are
    // only reported for objects that are otherwise valid.
    return problems;
  }
  for (const field of unknownFields(visits)) problems.push(`unknown field ${field}`);
  return problems;
}

/** One invalid object of a render. */
export interface ObjectFinding {
  source: string;
  kind: string;
  name: string;
  problems: string[];
}

/**
 * {@link validateObject} for every document of a render.
 *
 * @returns the invalid objects only; an empty array when all are valid
 */
export function validateDocuments(documents: readonly RenderedDocument[]): ObjectFinding[] {
  const findings: ObjectFinding[] = [];
  for (const { source, object } of documents) {
    const problems = validateObject(object);
    if (problems.length > 0) {
      findings.push({
        source,
        kind: `${object.apiVersion}/${object.kind}`,
        name: String(object.metadata?.name ?? '(no name)'),
        problems,
      });
    }
  }
  return findings;
}
