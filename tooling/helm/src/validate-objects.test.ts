import { describe, expect, it } from 'vitest';
import { render } from './test-support/render.ts';
import { PRODUCTION_VALUES } from './test-support/repo.ts';
import { validateObject } from './validate-objects.ts';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x', labels: { 'any/label': 'ok' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'x' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'app', image: 'x:1', imagePullPolicy: 'IfNotPresent' }] },
    },
  },
};

describe('validateObject', () => {
  it('accepts a valid Deployment, map keys (labels) included', () => {
    expect(validateObject(structuredClone(deployment))).toEqual([]);
  });

  it('rejects a typo that validate() alone lets through (spec.replica)', () => {
    const { replicas: _, ...spec } = deployment.spec;
    expect(validateObject({ ...deployment, spec: { ...spec, replica: 2 } })).toEqual([
      'unknown field /spec/replica',
    ]);
  });

  it('rejects an unknown field deep in a container', () => {
    const bad = structuredClone(deployment) as typeof deployment & Record<string, unknown>;
    (bad.spec.template.spec.containers[0] as Record<string, unknown>).imagePulPolicy = 'Always';
    expect(validateObject(bad)).toEqual([
      'unknown field /spec/template/spec/containers/0/imagePulPolicy',
    ]);
  });

  it('rejects a wrong type through validate()', () => {
    const bad = structuredClone(deployment) as unknown as { spec: { replicas: unknown } };
    bad.spec.replicas = 'two';
    expect(validateObject(bad as never)).toEqual([expect.stringMatching(/^invalid: .*replicas/)]);
  });

  it('fails a kind it has no schema for, never passes it', () => {
    expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget' })).toEqual([
      'no schema for apiVersion example.com/v1 kind Widget',
    ]);
  });

  it('finds typos in every CRD kind the chart renders (Rollout, AnalysisTemplate, ServiceMonitor, PrometheusRule, ExternalSecret)', async () => {
    const objects = await render(4, {
      valuesFiles: [PRODUCTION_VALUES, 'infra/helm/values/where2eat.yaml'],
      set: [
        'secrets.externalSecret.enabled=true',
        'secrets.externalSecret.secretStoreRef.name=vault',
      ],
      setJson: ['secrets.externalSecret.data=[{"secretKey":"k","remoteRef":{"key":"x"}}]'],
    });
    const typo: Record<string, [Array<string | number>, string]> = {
      Rollout: [['spec', 'strategy', 'canary', 'steps', 0], 'setWieght'],
      AnalysisTemplate: [['spec', 'metrics', 0, 'provider', 'prometheus'], 'querry'],
      ServiceMonitor: [['spec', 'endpoints', 0], 'intervall'],
      PrometheusRule: [['spec', 'groups', 0, 'rules', 0], 'recrod'],
      ExternalSecret: [['spec', 'data', 0, 'remoteRef'], 'propety'],
    };
    const edit = (object: unknown, [path, key]: [Array<string | number>, string]): void => {
      let at = object as Record<string | number, unknown>;
      for (const step of path) at = at[step] as Record<string | number, unknown>;
      at[key] = 'x';
    };
    for (const [kind, where] of Object.entries(typo)) {
      const object = structuredClone(objects.find((o) => o.kind === kind));
      expect(object, kind).toBeDefined();
      expect(validateObject(object as never), kind).toEqual([]);
      edit(object, where);
      expect(validateObject(object as never), kind).toEqual([
        expect.stringMatching(
          /^unknown field \/spec\/.*\/(setWieght|querry|intervall|recrod|propety)$/,
        ),
      ]);
    }
  });
});
