import { execFileSync } from 'node:child_process';
import { systemBinary } from '@micro-app/ci-tools/system-binaries';
import { type DevIdp, startDevIdp } from '@micro-app/dev-idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationMs } from './argo/analysis.ts';
import { prometheusQuery } from './argo/prometheus.ts';
import { type RunResult, runAnalysis, substituteArgs } from './argo/run.ts';
import { RELEASE, REPO_ROOT, type RenderedCanary, renderCanary } from './drill/chart.ts';
import { driveLoad } from './drill/load.ts';
import {
  type AppInstance,
  DrillProcesses,
  type PrometheusServer,
  startApp,
  startPrometheus,
} from './drill/processes.ts';

// The canary drill: a stable and four canary instances of the built where2eat, a real
// Prometheus scraping them with the labels Prometheus Operator gives the Rollout's pods and
// loading the chart's rules, and the chart's AnalysisTemplate (rendered by helm) evaluated with
// Argo Rollouts' semantics, its intervals compressed to 2 s.

const prometheusBinary = systemBinary('prometheus');

/** How long each instance's bounded load lasts (several 1 s scrapes). */
const LOAD_MS = 5_000;
/** Every template interval becomes this long in the drill. */
const DRILL_INTERVAL_MS = 2_000;
const STABLE_HASH = '5b8c7d9f4';
const CANARIES = {
  healthy: { hash: '6f9d8c7b5', env: {} },
  errors: { hash: '7c4b5d6e8', env: { FAULT_INJECTION_ERROR_RATE: '0.2' } },
  slow: { hash: '8d5e6f7a9', env: { FAULT_INJECTION_LATENCY_MS: '400' } },
  idle: { hash: '9e6f7a8b1', env: {} },
} as const;
type CanaryName = keyof typeof CANARIES;

describe.skipIf(prometheusBinary.skipReason)(
  'canary drill (real Prometheus, helm-rendered analysis)',
  () => {
    const processes = new DrillProcesses();
    let chart: RenderedCanary;
    let idp: DevIdp;
    let token: string;
    let prometheus: PrometheusServer;
    const apps = {} as Record<CanaryName | 'stable', AppInstance>;
    const started = Date.now();

    const count = async (selector: string): Promise<number> => {
      const outcome = await prometheusQuery(prometheus.url, `sum(${selector}) or vector(0)`);
      return outcome.ok && Array.isArray(outcome.result) ? (outcome.result[0] ?? 0) : 0;
    };
    const waitUntil = async (what: string, check: () => Promise<boolean>) => {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };

    /** Loads one instance and waits until Prometheus has scraped every request and ruled on it. */
    const load = async (name: CanaryName | 'stable', requests: number) => {
      const app = apps[name];
      const result = await driveLoad({
        baseUrl: app.url,
        token,
        requests,
        concurrency: 5,
        durationMs: LOAD_MS,
      });
      const hash = `${chart.hashLabel}="${app.hash}"`;
      await waitUntil(
        `${name}'s ${result.sent} requests in Prometheus`,
        async () =>
          (await count(
            `http_server_request_duration_seconds_count{${hash},http_route!~"/health/.*"}`,
          )) >= result.sent,
      );
      // Two rule evaluations after the last scrape, so the per-revision rates include it.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      return result;
    };

    const analyse = async (name: CanaryName): Promise<RunResult> => {
      const metrics = substituteArgs(chart.analysisTemplate, { 'canary-hash': apps[name].hash });
      const intervalMs = durationMs(metrics[0]?.interval ?? '1m');
      return runAnalysis({
        metrics,
        query: (metric) => prometheusQuery(prometheus.url, metric.provider.prometheus?.query ?? ''),
        rolloutMs: chart.rolloutMs,
        timeScale: intervalMs / DRILL_INTERVAL_MS,
      });
    };

    const report = (label: string, run: RunResult) => {
      const total = run.metrics.reduce((n, m) => n + m.measurements.length, 0);
      const good = run.metrics.reduce((n, m) => n + m.successful, 0);
      const detail = run.metrics
        .map(
          (m) =>
            `${m.name} ${m.phase} [${m.measurements.map((x) => `${x.phase}:${x.value}`).join(' ')}]`,
        )
        .join('; ');
      console.log(
        `canary drill: ${label} -> ${run.phase} (${good}/${total} measurements successful, ${(run.elapsedMs / 1000).toFixed(1)} s)\n  ${detail}`,
      );
    };

    beforeAll(async () => {
      const phases: string[] = [];
      let mark = Date.now();
      const phase = (name: string) => {
        phases.push(`${name} ${((Date.now() - mark) / 1000).toFixed(1)} s`);
        mark = Date.now();
      };
      execFileSync(
        'npx',
        ['turbo', 'run', 'build', '--filter=@micro-app/where2eat', '--output-logs=errors-only'],
        { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
      );
      phase('build');
      chart = renderCanary();
      phase('helm template');
      idp = await startDevIdp({ port: 0 });
      token = await idp.getUserToken('alice');
      const instances = [
        ['stable', STABLE_HASH, {}] as const,
        ...Object.entries(CANARIES).map(([name, c]) => [name, c.hash, c.env] as const),
      ];
      await Promise.all(
        instances.map(async ([name, hash, env]) => {
          apps[name as CanaryName] = await startApp(processes, {
            name,
            hash,
            env,
            issuer: idp.issuer,
            audience: idp.audience,
          });
        }),
      );
      phase(`${instances.length} instances`);
      // Labels as Prometheus Operator sets them on a ServiceMonitor target of the Rollout's pods.
      prometheus = await startPrometheus(
        processes,
        prometheusBinary.path as string,
        Object.values(apps).map((app, i) => ({
          instance: app,
          labels: {
            job: chart.metricsService,
            namespace: RELEASE.namespace,
            service: chart.metricsService,
            endpoint: chart.metricsPortName,
            pod: `${RELEASE.name}-${app.hash}-${String(i).padStart(5, 'x')}`,
            container: chart.containerName,
            [chart.hashLabel]: app.hash,
          },
        })),
        chart.ruleGroups,
      );
      await waitUntil(
        'every target up',
        async () => (await count('up')) === Object.keys(apps).length,
      );
      phase('prometheus');
      await load('stable', 200);
      phase('stable load');
      console.log(
        `canary drill: set up in ${((Date.now() - started) / 1000).toFixed(1)} s (${phases.join(', ')})`,
      );
    });

    afterAll(async () => {
      await processes.cleanUp();
      await idp?.close();
      console.log(`canary drill: total ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    it('renders one analysis metric per SLO of the chart rules, judged by burn rate', () => {
      expect(chart.analysisTemplate.metrics.map((m) => m.name)).toEqual([
        'where2eat-availability',
        'where2eat-recommendation-latency',
      ]);
      expect(chart.rolloutMs).toBeGreaterThan(0);
    });

    it('promotes a healthy canary: Successful', async () => {
      await load('healthy', 100);
      const run = await analyse('healthy');
      report('healthy canary', run);
      expect(run.phase).toBe('Successful');
      for (const metric of run.metrics) {
        expect(metric.measurements.length).toBe(Math.floor(chart.rolloutMs / durationMs('1m')));
        expect(metric.successful, metric.name).toBe(metric.measurements.length);
      }
    });

    it('rolls back a canary answering 20 % 5xx: Failed on availability', async () => {
      const result = await load('errors', 100);
      expect(result.byStatus[500]).toBeGreaterThan(0);
      const run = await analyse('errors');
      report('canary with 20% 5xx', run);
      expect(run.phase).toBe('Failed');
      expect(run.metrics.find((m) => m.name === 'where2eat-availability')?.phase).toBe('Failed');
    });

    it('rolls back a canary 400 ms slower: Failed on recommendation latency', async () => {
      const result = await load('slow', 50);
      expect(result.byStatus[500]).toBeUndefined();
      const run = await analyse('slow');
      report('canary 400 ms slower', run);
      expect(run.phase).toBe('Failed');
      const byName = Object.fromEntries(run.metrics.map((m) => [m.name, m]));
      expect(byName['where2eat-recommendation-latency']?.phase).toBe('Failed');
      expect(byName['where2eat-availability']?.failed).toBe(0);
    });

    it('never promotes a canary without traffic: Error (no series for its hash)', async () => {
      await waitUntil(
        'the idle canary scraped',
        async () => (await count(`up{${chart.hashLabel}="${apps.idle.hash}"}`)) === 1,
      );
      const run = await analyse('idle');
      report('canary without traffic', run);
      expect(run.phase).not.toBe('Successful');
      expect(run.phase).toBe('Error');
      expect(run.metrics.every((m) => m.successful === 0)).toBe(true);
    });
  },
);
