import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemBinary } from '@micro-app/ci-tools/system-binaries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The Alertmanager configuration with the real tools: amtool checks it and resolves each kind
// of alert to its receiver, and a real Alertmanager applies the inhibition rules to alerts
// posted to its API.

const CONFIG = join(
  import.meta.dirname,
  '../../../infra/observability/alertmanager/alertmanager.yml',
);
const amtool = systemBinary('amtool');
const alertmanager = systemBinary('prometheus-alertmanager');

function amtoolRun(...args: string[]) {
  const result = spawnSync(amtool.path ?? 'amtool', args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe.skipIf(amtool.skipReason)('alertmanager.yml (amtool)', () => {
  it('is a valid configuration', () => {
    const { status, output } = amtoolRun('check-config', CONFIG);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('is refused by amtool once it routes to a receiver that does not exist (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'am-'));
    try {
      const broken = join(dir, 'alertmanager.yml');
      writeFileSync(
        broken,
        readFileSync(CONFIG, 'utf8').replace('receiver: platform-tickets', 'receiver: nobody'),
      );
      expect(amtoolRun('check-config', broken).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      'where2eat-pager',
      'severity=page',
      'service_name=where2eat',
      'alertname=Where2eatAvailabilityFastBurn',
    ],
    [
      'where2eat-tickets',
      'severity=ticket',
      'service_name=where2eat',
      'alertname=Where2eatScrapeFailing',
    ],
    ['where2eat-tickets', 'service_name=where2eat', 'alertname=Unlabelled'],
    ['platform-pager', 'severity=page', 'service_name=billing'],
    ['platform-tickets', 'severity=ticket', 'service_name=billing'],
  ])('routes to %s: %s %s', (receiver, ...labels) => {
    const { status, output } = amtoolRun(
      'config',
      'routes',
      'test',
      `--config.file=${CONFIG}`,
      `--verify.receivers=${receiver}`,
      ...labels,
    );
    expect(status, output).toBe(0);
  });

  it('fails a route test that expects the wrong receiver', () => {
    const { status } = amtoolRun(
      'config',
      'routes',
      'test',
      `--config.file=${CONFIG}`,
      '--verify.receivers=platform-pager',
      'severity=page',
      'service_name=where2eat',
    );
    expect(status).not.toBe(0);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface ApiAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

describe.skipIf(alertmanager.skipReason)(
  'alertmanager.yml in a real Alertmanager',
  { timeout: 60_000 },
  () => {
    let child: ChildProcess;
    let base: string;
    let dir: string;
    let log = '';
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      child = spawn(
        alertmanager.path ?? 'prometheus-alertmanager',
        [
          `--config.file=${CONFIG}`,
          `--storage.path=${dir}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stderr?.on('data', (chunk) => {
        log += chunk;
      });
      for (let i = 0; i < 200; i++) {
        const ready = await fetch(`${base}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`alertmanager did not get ready:\n${log}`);
    }, 60_000);
    afterAll(async () => {
      // Alertmanager writes its silence and notification snapshots into --storage.path as it
      // shuts down: wait for it to exit before removing the folder (else ENOTEMPTY, seen).
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    const post = (alerts: Array<Record<string, string>>) =>
      fetch(`${base}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(
          alerts.map((labels) => ({ labels, startsAt: new Date().toISOString() })),
        ),
      });

    async function stateOf(
      alertname: string,
      extra: Record<string, string> = {},
    ): Promise<ApiAlert | undefined> {
      const alerts = (await (await fetch(`${base}/api/v2/alerts`)).json()) as ApiAlert[];
      return alerts.find(
        (a) =>
          a.labels.alertname === alertname &&
          Object.entries(extra).every(([k, v]) => a.labels[k] === v),
      );
    }

    it('silences the failing scrapes while no metrics arrive at all, and the slow burn under a fast one', async () => {
      const res = await post([
        { alertname: 'Where2eatMetricsAbsent', severity: 'page', service_name: 'where2eat' },
        {
          alertname: 'Where2eatScrapeFailing',
          severity: 'ticket',
          service_name: 'where2eat',
          instance: 'a',
        },
        {
          alertname: 'Where2eatAvailabilityFastBurn',
          severity: 'page',
          service_name: 'where2eat',
          slo: 'where2eat-availability',
          burn_rate: '14.4',
        },
        {
          alertname: 'Where2eatAvailabilitySlowBurn',
          severity: 'ticket',
          service_name: 'where2eat',
          slo: 'where2eat-availability',
          burn_rate: '6',
        },
        // Another SLO's slow burn is not covered by the availability page.
        {
          alertname: 'Where2eatRecommendationLatencySlowBurn',
          severity: 'ticket',
          service_name: 'where2eat',
          slo: 'where2eat-recommendation-latency',
          burn_rate: '6',
        },
      ]);
      expect(res.status).toBe(200);
      let scrape: ApiAlert | undefined;
      for (let i = 0; i < 100 && !scrape?.status.inhibitedBy.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
        scrape = await stateOf('Where2eatScrapeFailing');
      }
      expect(scrape?.status.state).toBe('suppressed');
      expect((await stateOf('Where2eatAvailabilitySlowBurn'))?.status.state).toBe('suppressed');
      expect((await stateOf('Where2eatMetricsAbsent'))?.status.state).toBe('active');
      expect((await stateOf('Where2eatAvailabilityFastBurn'))?.status.state).toBe('active');
      expect((await stateOf('Where2eatRecommendationLatencySlowBurn'))?.status.state).toBe(
        'active',
      );
    });
  },
);
