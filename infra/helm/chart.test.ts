import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Helm cannot run here; CI runs helm lint, helm template | kubeconform and a kind install.
// These checks run everywhere: every values file against values.schema.json the way Helm
// merges them, bad values rejected, every .Values reference in the templates defined.

const helmDir = import.meta.dirname;
const chartDir = join(helmDir, 'micro-app');
const repoRoot = resolve(helmDir, '../..');

type Values = Record<string, unknown>;

function load(path: string): Values {
  return (parse(readFileSync(path, 'utf8')) ?? {}) as Values;
}

function isMap(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Helm's coalescing: maps merge key by key, lists and scalars replace, null deletes. */
function merge(base: Values, override: Values): Values {
  const out: Values = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = merge(out[key], value);
    else out[key] = structuredClone(value);
  }
  return out;
}

const defaults = load(join(chartDir, 'values.yaml'));
const production = load(join(chartDir, 'values-production.yaml'));
const where2eat = load(join(helmDir, 'values/where2eat.yaml'));
const kind = load(join(helmDir, 'ci/kind-values.yaml'));

const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const validate = ajv.compile(schema);

function errorsOf(values: Values): string[] {
  return validate(values)
    ? []
    : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message}`);
}

/** The combinations CI and CD install, as Helm would merge them. */
const releases: Record<string, Values> = {
  'values.yaml (chart defaults)': defaults,
  // The production layer never ships alone: an app file always adds at least the host.
  'values-production.yaml (+ an ingress host)': merge(merge(defaults, production), {
    ingress: { host: 'app.example.com' },
  }),
  'values/where2eat.yaml': merge(defaults, where2eat),
  'production + where2eat (CD production)': merge(merge(defaults, production), where2eat),
  'where2eat + ci/kind-values.yaml (CI kind)': merge(merge(defaults, where2eat), kind),
};
// Every other app's values file (`npm run gen:app` adds one), alone and with the production layer.
for (const file of readdirSync(join(helmDir, 'values')).sort()) {
  if (file === 'where2eat.yaml' || !/\.ya?ml$/.test(file)) continue;
  const app = load(join(helmDir, 'values', file));
  releases[`values/${file}`] = merge(defaults, app);
  releases[`production + values/${file}`] = merge(merge(defaults, production), app);
}

function get(values: Values, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), values);
}

describe('values files against values.schema.json', () => {
  it('uses draft-07, the JSON Schema version Helm validates with', () => {
    expect((schema as { $schema: string }).$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it.each(Object.entries(releases))('%s is valid', (_name, values) => {
    expect(errorsOf(values)).toEqual([]);
  });

  it('finds every values file of the repository in that list', () => {
    const files = [
      ...readdirSync(chartDir).filter((f) => /^values.*\.ya?ml$/.test(f)),
      ...readdirSync(join(helmDir, 'values')).map((f) => `values/${f}`),
    ].sort();
    expect(files.filter((f) => !f.startsWith('values/'))).toEqual([
      'values-production.yaml',
      'values.yaml',
    ]);
    expect(files).toContain('values/where2eat.yaml');
    expect(files.filter((f) => f.startsWith('values/') && !(f in releases))).toEqual([]);
  });

  const prod = releases['production + where2eat (CD production)'] as Values;
  const bad: Array<[string, Values, Values, RegExp]> = [
    [
      'runAsNonRoot false',
      prod,
      { securityContext: { runAsNonRoot: false } },
      /securityContext\/runAsNonRoot/,
    ],
    [
      'pod runAsNonRoot false',
      prod,
      { podSecurityContext: { runAsNonRoot: false } },
      /podSecurityContext\/runAsNonRoot/,
    ],
    [
      'a writable root filesystem',
      prod,
      { securityContext: { readOnlyRootFilesystem: false } },
      /readOnlyRootFilesystem/,
    ],
    [
      'privilege escalation',
      prod,
      { securityContext: { allowPrivilegeEscalation: true } },
      /allowPrivilegeEscalation/,
    ],
    [
      'capabilities not dropped',
      prod,
      { securityContext: { capabilities: { drop: ['NET_RAW'] } } },
      /capabilities\/drop/,
    ],
    [
      'an added capability',
      prod,
      { securityContext: { capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } } },
      /capabilities\/add/,
    ],
    [
      'seccomp Unconfined',
      prod,
      { securityContext: { seccompProfile: { type: 'Unconfined' } } },
      /seccompProfile\/type/,
    ],
    ['image tag latest', prod, { image: { tag: 'latest' } }, /image\/tag/],
    ['a malformed digest', prod, { image: { digest: 'sha256:abc' } }, /image\/digest/],
    ['replicas 0 in production', prod, { replicaCount: 0 }, /replicaCount/],
    ['1 replica in production', prod, { replicaCount: 1 }, /replicaCount/],
    ['no PDB in production', prod, { pdb: { enabled: false } }, /pdb\/enabled/],
    [
      'no NetworkPolicy in production',
      prod,
      { networkPolicy: { enabled: false } },
      /networkPolicy\/enabled/,
    ],
    [
      'a token in the pod in production',
      prod,
      { serviceAccount: { automountToken: true } },
      /automountToken/,
    ],
    ['a password as plain env', prod, { env: { DB_PASSWORD: 'hunter2' } }, /env/],
    [
      'an API token as plain env',
      prod,
      { env: { UNLEASH_API_TOKEN: 'default:production.abc' } },
      /env/,
    ],
    [
      'DATABASE_URL as plain env',
      prod,
      { env: { DATABASE_URL: 'postgres://db/where2eat' } },
      /env/,
    ],
    [
      'a URL with credentials as plain env',
      prod,
      { env: { UPSTREAM: 'https://user:pw@api.example.com' } },
      /env\/UPSTREAM/,
    ],
    ['a number as env value', prod, { env: { LOG_LEVEL: 3 } }, /env\/LOG_LEVEL/],
    ['a chart-managed env name', prod, { env: { PORT: '8080' } }, /env/],
    [
      'a plaintext secret value in secretEnv',
      prod,
      { secretEnv: { DATABASE_URL: { value: 'postgres://u:p@h/db' } } },
      /secretEnv\/DATABASE_URL/,
    ],
    [
      'plaintext secrets under secrets',
      prod,
      { secrets: { data: { 'database-url': 'postgres://u:p@h/db' } } },
      /secrets/,
    ],
    ['a typo in a key', prod, { replicas: 3 }, /must NOT have additional properties/],
    ['no resources', prod, { resources: null }, /resources/],
    [
      'no memory limit',
      prod,
      { resources: { limits: { memory: null, cpu: '1' } } },
      /resources\/limits/,
    ],
    ['no cpu request', prod, { resources: { requests: { cpu: null } } }, /resources\/requests/],
    [
      'a bad quantity',
      prod,
      { resources: { requests: { memory: 'lots' } } },
      /resources\/requests\/memory/,
    ],
    ['an unknown environment', prod, { environment: 'prod' }, /environment/],
    ['ingress without a host', prod, { ingress: { host: '' } }, /ingress\/host/],
    [
      'a canary step with two actions',
      prod,
      { rollout: { steps: [{ setWeight: 10, pause: {} }] } },
      /rollout\/steps/,
    ],
    ['a weight over 100', prod, { rollout: { steps: [{ setWeight: 150 }] } }, /setWeight/],
    ['a burn rate of 0', prod, { rollout: { analysis: { maxBurnRate: 0 } } }, /maxBurnRate/],
    [
      'an external secret without a store',
      merge(prod, {
        secrets: {
          externalSecret: { enabled: true, data: [{ secretKey: 'k', remoteRef: { key: 'x' } }] },
        },
      }),
      {},
      /secretStoreRef\/name/,
    ],
    ['pullPolicy Never in production', prod, { image: { pullPolicy: 'Never' } }, /pullPolicy/],
  ];
  it.each(bad)('rejects %s', (_name, base, override, path) => {
    const errors = errorsOf(merge(base, override));
    expect(errors.join('\n')).toMatch(path);
  });

  it('accepts 1 replica outside production, so the kind test can run small', () => {
    expect(errorsOf(merge(merge(defaults, where2eat), { replicaCount: 1 }))).toEqual([]);
  });
});

describe('shutdown timing', () => {
  // The same rule templates/validate.yaml enforces with `fail` when Helm renders.
  it.each(Object.entries(releases))(
    '%s: grace period covers preStop + drain + timeout',
    (_n, v) => {
      const preStop = get(v, 'shutdown.preStopSleepSeconds') as number;
      const drainMs = get(v, 'shutdown.drainMs') as number;
      const timeoutMs = get(v, 'shutdown.timeoutMs') as number;
      const grace = get(v, 'terminationGracePeriodSeconds') as number;
      expect(grace).toBeGreaterThanOrEqual(preStop + Math.ceil((drainMs + timeoutMs) / 1000) + 2);
    },
  );

  it('validate.yaml computes the same bound', () => {
    const helpers = readFileSync(join(chartDir, 'templates/_helpers.tpl'), 'utf8');
    expect(helpers).toContain(
      'add .Values.shutdown.preStopSleepSeconds (div (add .Values.shutdown.drainMs .Values.shutdown.timeoutMs 999) 1000)',
    );
    const check = readFileSync(join(chartDir, 'templates/validate.yaml'), 'utf8');
    expect(check).toContain('(add $needed 2 | int)');
  });
});

function templateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? templateFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('templates', () => {
  const files = templateFiles(join(chartDir, 'templates'));

  it('has the resources the chart promises', () => {
    const names = files.map((f) => relative(join(chartDir, 'templates'), f)).sort();
    expect(names).toEqual(
      [
        'NOTES.txt',
        '_helpers.tpl',
        'analysistemplate.yaml',
        'externalsecret.yaml',
        'hpa.yaml',
        'ingress.yaml',
        'migration-job.yaml',
        'networkpolicy.yaml',
        'pdb.yaml',
        'prometheusrule.yaml',
        'service.yaml',
        'serviceaccount.yaml',
        'servicemonitor.yaml',
        'tests/test-ready.yaml',
        'validate.yaml',
        'workload.yaml',
      ].sort(),
    );
  });

  it.each(files.map((f) => [relative(chartDir, f), f]))(
    '%s refers only to values defined in values.yaml',
    (_n, file) => {
      const text = readFileSync(file, 'utf8');
      const refs = [...text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) =>
        (m[1] ?? '').slice(1),
      );
      const missing = refs.filter((ref) => get(defaults, ref) === undefined);
      expect(missing).toEqual([]);
    },
  );

  it('the reference check itself catches an undefined value', () => {
    expect(get(defaults, 'rollout.analysis.maxBurnRate')).toBeDefined();
    expect(get(defaults, 'rollout.analysis.maxBurnRatio')).toBeUndefined();
  });

  it.each(files.map((f) => [relative(chartDir, f), f]))(
    '%s opens and closes its blocks',
    (_n, file) => {
      const text = readFileSync(file, 'utf8').replace(/\{\{`[\s\S]*?`\}\}/g, '');
      const opens = text.match(/\{\{-?\s*(if|range|with|define|block)\b/g)?.length ?? 0;
      const ends = text.match(/\{\{-?\s*end\s*-?\}\}/g)?.length ?? 0;
      expect(ends).toBe(opens);
      expect(text.match(/\{\{/g)?.length).toBe(text.match(/\}\}/g)?.length);
    },
  );

  it('keeps Argo Rollouts placeholders out of Helm templating', () => {
    const analysis = readFileSync(join(chartDir, 'templates/analysistemplate.yaml'), 'utf8');
    // {{args.canary-hash}} sits inside a printf string, so Helm prints it as text.
    expect(analysis).toMatch(/printf "[^\n]*\{\{args\.canary-hash\}\}/);
  });
});

describe('SLO rules and canary analysis', () => {
  const source = join(repoRoot, 'infra/observability/prometheus/slo-rules.yaml');
  const copy = join(chartDir, 'files/slo-rules.yaml');

  it("ships infra/observability's rules file itself (a link, not a copy that can drift)", () => {
    expect(lstatSync(copy).isSymbolicLink()).toBe(true);
    expect(realpathSync(copy)).toBe(realpathSync(source));
  });

  it('judges the canary by the error budgets of those rules, not by numbers of its own', () => {
    // tooling/canary-drill renders the AnalysisTemplate with helm and evaluates it against a
    // real Prometheus; here: no absolute threshold is left in the template or the values.
    const analysis = readFileSync(join(chartDir, 'templates/analysistemplate.yaml'), 'utf8');
    expect(analysis).toContain('slo:error_budget:ratio');
    expect(analysis).toContain('slo:sli_bad_requests:rate5m');
    const v = releases['production + where2eat (CD production)'] as Values;
    expect(Object.keys(get(v, 'rollout.analysis') as Values).sort()).toEqual([
      'enabled',
      'failureLimit',
      'interval',
      'maxBurnRate',
      'prometheusAddress',
      'startingStep',
    ]);
  });
});
