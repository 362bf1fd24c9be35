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
    expect(validateObject(bad)).toEqual(['unknown field /spec/template/spec/containers/0/imagePulPolicy']);
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
      set: ['secrets.externalSecret.enabled=true', 'secrets.externalSecret.secretStoreRef.name=vault'],
      setJson: ['secrets.externalSecret.data=[{"secretKey":"k","remoteRef":{"key":"x"}}]'],
    });
    const typo = {
      Rollout: (o: any) => {
        o.spec.strategy.canary.steps[0].setWieght = 1;
      },
      AnalysisTemplate: (o: any) => {
        o.spec.metrics[0].provider.prometheus.querry = 'x';
      },
      ServiceMonitor: (o: any) => {
        o.spec.endpoints[0].intervall = '1s';
      },
      PrometheusRule: (o: any) => {
        o.spec.groups[0].rules[0].recrod = 'x';
      },
      ExternalSecret: (o: any) => {
        o.spec.data[0].remoteRef.propety = 'x';
      },
    };
    for (const [kind, edit] of Object.entries(typo)) {
      const object = structuredClone(objects.find((o) => o.kind === kind));
      expect(object, kind).toBeDefined();
      expect(validateObject(object as never), kind).toEqual([]);
      edit(object);
      expect(validateObject(object as never), kind).toEqual([
        expect.stringMatching(/^unknown field \/spec\/.*\/(setWieght|querry|intervall|recrod|propety)$/),
      ]);
    }
  });
});
