import { describe, it } from 'vitest';
import { helmTemplate } from './chart.ts';
import { CHART, MAJORS, PRODUCTION_VALUES, REPO_ROOT } from './test-support/repo.ts';

// Values a release must never ship with, over the production combination CD installs; helm
// itself refuses them (values.schema.json, or a `fail` in templates/validate.yaml).
const SCHEMA = /values don't meet the specifications of the schema/;
const TEMPLATE_CHECK = /execution error at \(micro-app\/templates\/validate\.yaml/;

/** A schema location as helm 3 (`a.b`) and helm 4 (`/a/b`) print it. */
const at = (path: string): RegExp => new RegExp(path.split('.').join('[./]'));

interface Bad {
  set?: string[];
  setJson?: string[];
  refusedBy?: RegExp;
  message: RegExp;
}

const BAD: Array<[string, Bad]> = [
  [
    'runAsNonRoot false',
    { set: ['securityContext.runAsNonRoot=false'], message: at('securityContext.runAsNonRoot') },
  ],
  [
    'pod runAsNonRoot false',
    {
      set: ['podSecurityContext.runAsNonRoot=false'],
      message: at('podSecurityContext.runAsNonRoot'),
    },
  ],
  [
    'a writable root filesystem',
    {
      set: ['securityContext.readOnlyRootFilesystem=false'],
      message: at('securityContext.readOnlyRootFilesystem'),
    },
  ],
  [
    'privilege escalation',
    {
      set: ['securityContext.allowPrivilegeEscalation=true'],
      message: at('securityContext.allowPrivilegeEscalation'),
    },
  ],
  [
    'capabilities not dropped',
    {
      set: ['securityContext.capabilities.drop={NET_RAW}'],
      message: at('securityContext.capabilities.drop'),
    },
  ],
  [
    'an added capability',
    {
      set: ['securityContext.capabilities.add={NET_ADMIN}'],
      message: at('securityContext.capabilities.add'),
    },
  ],
  [
    'seccomp Unconfined',
    {
      set: ['securityContext.seccompProfile.type=Unconfined'],
      message: at('securityContext.seccompProfile.type'),
    },
  ],
  ['image tag latest', { set: ['image.tag=latest'], message: at('image.tag') }],
  ['a malformed digest', { set: ['image.digest=sha256:abc'], message: at('image.digest') }],
  ['replicas 0', { set: ['replicaCount=0'], message: at('replicaCount') }],
  ['1 replica in production', { set: ['replicaCount=1'], message: at('replicaCount') }],
  ['no PDB in production', { set: ['pdb.enabled=false'], message: at('pdb.enabled') }],
  [
    'no NetworkPolicy in production',
    { set: ['networkPolicy.enabled=false'], message: at('networkPolicy.enabled') },
  ],
  [
    'a token in the pod in production',
    { set: ['serviceAccount.automountToken=true'], message: at('serviceAccount.automountToken') },
  ],
  [
    'a password as plain env (CI: env.DB_PASSWORD=x)',
    { set: ['env.DB_PASSWORD=x'], message: /DB_PASSWORD/ },
  ],
  [
    'an API token as plain env',
    { set: ['env.UNLEASH_API_TOKEN=default:production.abc'], message: /UNLEASH_API_TOKEN/ },
  ],
  [
    'DATABASE_URL as plain env',
    { set: ['env.DATABASE_URL=postgres://db/where2eat'], message: /DATABASE_URL/ },
  ],
  [
    'a URL with credentials as plain env',
    { set: ['env.UPSTREAM=https://user:pw@api.example.com'], message: at('env.UPSTREAM') },
  ],
  ['a number as env value', { setJson: ['env.LOG_LEVEL=3'], message: at('env.LOG_LEVEL') }],
  ['a chart-managed env name', { set: ['env.PORT=8080'], message: /PORT/ }],
  [
    'a plaintext secret value in secretEnv',
    {
      setJson: ['secretEnv.DATABASE_URL={"value":"postgres://u:p@h/db"}'],
      message: at('secretEnv.DATABASE_URL'),
    },
  ],
  [
    'plaintext secrets under secrets',
    {
      setJson: ['secrets.data={"database-url":"postgres://u:p@h/db"}'],
      message: /secrets[\s\S]*data/,
    },
  ],
  ['a typo in a key', { set: ['replicas=3'], message: /[Aa]dditional propert[\s\S]*replicas/ }],
  ['no resources', { setJson: ['resources=null'], message: /resources/ }],
  [
    'no memory limit',
    { setJson: ['resources.limits={"cpu":"1","memory":null}'], message: /memory/ },
  ],
  [
    'no cpu request',
    { setJson: ['resources.requests.cpu=null'], message: at('resources.requests') },
  ],
  [
    'a bad quantity',
    { set: ['resources.requests.memory=lots'], message: at('resources.requests.memory') },
  ],
  ['an unknown environment', { set: ['environment=prod'], message: /environment/ }],
  ['ingress without a host', { set: ['ingress.host='], message: at('ingress.host') }],
  [
    'a canary step with two actions',
    { setJson: ['rollout.steps=[{"setWeight":10,"pause":{}}]'], message: at('rollout.steps.0') },
  ],
  [
    'a weight over 100',
    { setJson: ['rollout.steps=[{"setWeight":150}]'], message: at('rollout.steps.0.setWeight') },
  ],
  [
    'a burn-rate threshold of 0',
    { set: ['rollout.analysis.maxBurnRate=0'], message: at('rollout.analysis.maxBurnRate') },
  ],
  [
    'an analysis key the chart does not know (the retired maxErrorRatio)',
    {
      set: ['rollout.analysis.maxErrorRatio=0.001'],
      message: /[Aa]dditional propert[\s\S]*maxErrorRatio/,
    },
  ],
  [
    'an external secret without a store',
    {
      set: ['secrets.externalSecret.enabled=true'],
      setJson: ['secrets.externalSecret.data=[{"secretKey":"k","remoteRef":{"key":"x"}}]'],
      message: at('secrets.externalSecret.secretStoreRef.name'),
    },
  ],
  [
    'pullPolicy Never in production',
    { set: ['image.pullPolicy=Never'], message: at('image.pullPolicy') },
  ],
  [
    'a grace period shorter than drain + timeout + 2 s',
    {
      set: ['terminationGracePeriodSeconds=5'],
      refusedBy: TEMPLATE_CHECK,
      message: /terminationGracePeriodSeconds \(5\) must be at least/,
    },
  ],
  [
    'an analysis without the ServiceMonitor it queries',
    {
      set: ['metrics.serviceMonitor.enabled=false'],
      refusedBy: TEMPLATE_CHECK,
      message: /rollout\.analysis needs metrics\.serviceMonitor\.enabled/,
    },
  ],
];

for (const major of MAJORS) {
  describe(`helm ${major} refuses, over values-production.yaml + values/where2eat.yaml,`, () => {
    it.concurrent.for(BAD)('%s', async ([, bad], { expect }) => {
      const result = await helmTemplate({
        major,
        chart: CHART,
        cwd: REPO_ROOT,
        valuesFiles: [PRODUCTION_VALUES, 'infra/helm/values/where2eat.yaml'],
        set: bad.set ?? [],
        setJson: bad.setJson ?? [],
      });
      expect(result.ok).toBe(false);
      expect(result.stderr).toMatch(bad.refusedBy ?? SCHEMA);
      expect(result.stderr).toMatch(bad.message);
    });
  });
}
