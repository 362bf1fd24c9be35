import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemBinary } from '@micro-app/ci-tools/system-binaries';
import { DEFAULT_CLIENTS, type DevIdp, startDevIdp } from '@micro-app/dev-idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from './drill/chart.ts';
import {
  type AppInstance,
  DrillProcesses,
  type PrometheusServer,
  startApp,
  startBlackboxExporter,
  startPrometheusWith,
} from './drill/processes.ts';

// The synthetic probes as an operator runs them: the repository's blackbox modules
// (infra/observability/synthetic/blackbox.yml) in a real blackbox exporter, driven by a real
// Prometheus with the repository's scrape config and alert rule, against the built where2eat
// and a dev identity provider that has a probe client. Healthy: both probes succeed and the
// alert's expression is empty. Without a token the journey fails. The app down: both fail.

const SYNTHETIC = join(REPO_ROOT, 'infra/observability/synthetic');
const RULES = join(REPO_ROOT, 'infra/observability/prometheus/slo-rules.yaml');
const prometheusBinary = systemBinary('prometheus');
const blackboxBinary = systemBinary('prometheus-blackbox-exporter');
const PROBE_SECRET = 'synthetic-probe-test-secret';

// biome-ignore lint/suspicious/noExplicitAny: YAML documents
type Yaml = any;

describe.skipIf(prometheusBinary.skipReason ?? blackboxBinary.skipReason)(
  'synthetic probes (blackbox exporter + Prometheus)',
  () => {
    const processes = new DrillProcesses();
    let idp: DevIdp;
    let app: AppInstance;
    let prometheus: PrometheusServer;

    async function series(query: string): Promise<Array<{ module: string; value: number }>> {
      const res = await fetch(`${prometheus.url}/api/v1/query`, {
        method: 'POST',
        body: new URLSearchParams({ query }),
      });
      const body = (await res.json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      return body.data.result
        .map((r) => ({ module: r.metric.module ?? '', value: Number(r.value[1]) }))
        .sort((a, b) => a.module.localeCompare(b.module));
    }

    async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean) {
      let last: T | undefined;
      for (let i = 0; i < 150; i++) {
        last = await read();
        if (ok(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`${what}: still ${JSON.stringify(last)}`);
    }

    beforeAll(async () => {
      execFileSync(
        'npx',
        ['turbo', 'run', 'build', '--filter=@micro-app/where2eat', '--output-logs=errors-only'],
        { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
      );
      // The probe's own client: read scopes, a tenant of its own (it never sees real data).
      idp = await startDevIdp({
        port: 0,
        clients: [
          ...DEFAULT_CLIENTS,
          {
            clientId: 'synthetic-probe',
            clientSecret: PROBE_SECRET,
            grantTypes: ['client_credentials'],
            scopes: ['groups:read'],
            tenant: 'synthetic',
          },
        ],
      });
      app = await startApp(processes, {
        name: 'synthetic',
        hash: 'synthetic',
        issuer: idp.issuer,
        audience: idp.audience,
      });

      const dir = await processes.tempDir('synthetic-');
      const secretFile = join(dir, 'secret');
      await writeFile(secretFile, PROBE_SECRET);
      const blackbox: Yaml = parse(readFileSync(join(SYNTHETIC, 'blackbox.yml'), 'utf8'));
      const oauth2 = blackbox.modules.where2eat_journey.http.oauth2;
      oauth2.token_url = idp.tokenEndpoint;
      oauth2.client_secret_file = secretFile;
      // The same journey without a token: it must fail, or the probe proves nothing about auth.
      const anonymous = structuredClone(blackbox.modules.where2eat_journey);
      delete anonymous.http.oauth2;
      blackbox.modules.where2eat_journey_anonymous = anonymous;
      await writeFile(join(dir, 'blackbox.yml'), stringify(blackbox));
      const exporter = await startBlackboxExporter(
        processes,
        blackboxBinary.path as string,
        join(dir, 'blackbox.yml'),
      );

      const scrape: Yaml = parse(readFileSync(join(SYNTHETIC, 'prometheus-scrape.yml'), 'utf8'));
      const job = scrape.scrape_configs[0];
      job.scrape_interval = '1s';
      job.scrape_timeout = '900ms';
      for (const group of job.static_configs) {
        group.targets = group.targets.map((t: string) =>
          t.replace('https://where2eat.example.com', app.url),
        );
      }
      job.static_configs.push({
        targets: [`${app.url}/v1/groups?limit=1`],
        labels: { module: 'where2eat_journey_anonymous', service_name: 'where2eat' },
      });
      const last = job.relabel_configs.at(-1);
      expect(last.target_label).toBe('__address__');
      last.replacement = exporter.address;
      const rules: Yaml = parse(readFileSync(RULES, 'utf8'));
      prometheus = await startPrometheusWith(
        processes,
        prometheusBinary.path as string,
        rules.groups,
        scrape.scrape_configs,
      );
    }, 300_000);

    afterAll(async () => {
      await processes.cleanUp();
      await idp?.close();
    });

    it('succeeds for readiness and the authenticated journey; without a token the journey fails', async () => {
      const probes = await until(
        'probe_success of three probes',
        () => series('probe_success{job="where2eat-synthetic"}'),
        (s) => s.length === 3,
      );
      expect(probes).toEqual([
        { module: 'where2eat_journey', value: 1 },
        { module: 'where2eat_journey_anonymous', value: 0 },
        { module: 'where2eat_ready', value: 1 },
      ]);
      const failing = await series(
        'probe_success{job="where2eat-synthetic",module!="where2eat_journey_anonymous"} == 0',
      );
      expect(failing).toEqual([]);
    });

    it('fails both probes, and the alert expression names them, once the app is down', async () => {
      await app.stop();
      const failing = await until(
        'the alert expression of Where2eatSyntheticProbeFailing',
        () =>
          series(
            'probe_success{job="where2eat-synthetic",module!="where2eat_journey_anonymous"} == 0',
          ),
        (s) => s.length === 2,
      );
      expect(failing.map((s) => s.module)).toEqual(['where2eat_journey', 'where2eat_ready']);
      const rule = (parse(readFileSync(RULES, 'utf8')) as Yaml).groups
        .flatMap((g: Yaml) => g.rules)
        .find((r: Yaml) => r.alert === 'Where2eatSyntheticProbeFailing');
      expect(rule.expr.trim()).toBe('probe_success{job="where2eat-synthetic"} == 0');
    });
  },
);
