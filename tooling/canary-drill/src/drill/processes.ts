import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CanaryDrillError } from '../argo/errors.ts';
import { REPO_ROOT } from './chart.ts';

export const APP_DIR = join(REPO_ROOT, 'apps/where2eat');
// A cold start (PGlite initdb, migrations) on a machine busy with other jobs can take long; this
// bounds the setup, not a verdict.
const START_TIMEOUT_MS = 90_000;

const handedOut = new Set<number>();

/** A TCP port free on 127.0.0.1 right now, never one this process handed out before. */
export async function freePort(): Promise<number> {
  while (true) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Children and folders of the drill, so afterAll leaves nothing behind. */
export class DrillProcesses {
  readonly #children = new Set<ChildProcess>();
  readonly #dirs = new Set<string>();

  /** A working directory for children that need none in particular. */
  readonly root = tmpdir();

  spawn(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    return { child, stderr: () => stderr.trim() };
  }

  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#dirs.add(dir);
    return dir;
  }

  /** SIGTERM, SIGKILL after 5 s; then the folders go. */
  async cleanUp(): Promise<void> {
    await Promise.all(
      [...this.#children].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await Promise.all([...this.#dirs].map((dir) => rm(dir, { recursive: true, force: true })));
    this.#dirs.clear();
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  child: ChildProcess,
  stderr: () => string,
) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new CanaryDrillError(
        'DRILL_SETUP',
        `${what} exited with ${child.exitCode}: ${stderr()}`,
      );
    }
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new CanaryDrillError(
    'DRILL_SETUP',
    `${what} not ready within ${START_TIMEOUT_MS} ms: ${stderr()}`,
  );
}

export interface AppInstance {
  name: string;
  /** The pod-template hash its pods would carry (stable or canary revision). */
  hash: string;
  url: string;
  metricsPort: number;
  /** Stops the instance (SIGTERM) and resolves when it exited. */
  stop(): Promise<void>;
}

export interface AppInstanceOptions {
  name: string;
  hash: string;
  issuer: string;
  audience: string;
  env?: Record<string, string>;
}

/** Starts the built where2eat (`npm start`) on free loopback ports with an embedded database. */
export async function startApp(
  processes: DrillProcesses,
  options: AppInstanceOptions,
): Promise<AppInstance> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const dataDir = await processes.tempDir(`canary-drill-${options.name}-`);
  const { child, stderr } = processes.spawn(
    process.execPath,
    ['--import', './dist/instrumentation.js', 'dist/main.js'],
    {
      cwd: APP_DIR,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        DATA_DIR: dataDir,
        AUTH_ISSUER: options.issuer,
        AUTH_AUDIENCE: options.audience,
        LOG_LEVEL: 'fatal',
        SHUTDOWN_DRAIN_MS: '0',
        RATE_LIMIT_PER_USER_PER_MIN: '1000000',
        RATE_LIMIT_PER_TENANT_PER_MIN: '10000000',
        RATE_LIMIT_GROUP_CREATE_PER_MIN: '10000',
        ...options.env,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `where2eat ${options.name}`,
    async () => (await fetch(`${url}/health/ready`)).ok,
    child,
    stderr,
  );
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { name: options.name, hash: options.hash, url, metricsPort, stop };
}

export interface ScrapeTarget {
  instance: AppInstance;
  labels: Record<string, string>;
}

export interface PrometheusServer {
  url: string;
}

/**
 * Starts Prometheus on a free loopback port with a 1 s scrape and rule interval, the given
 * targets and labels, and the chart's rule groups. Storage lives in a temp folder.
 */
export async function startPrometheus(
  processes: DrillProcesses,
  binary: string,
  targets: ScrapeTarget[],
  ruleGroups: unknown[],
): Promise<PrometheusServer> {
  return startPrometheusWith(processes, binary, ruleGroups, [
    {
      // The Operator names the job after the ServiceMonitor's endpoint; the `job` label of the
      // targets is overwritten below with the Service name, as the Operator does.
      job_name: 'servicemonitor/where2eat',
      metrics_path: '/metrics',
      honor_labels: false,
      static_configs: targets.map((t) => ({
        targets: [`127.0.0.1:${t.instance.metricsPort}`],
        labels: t.labels,
      })),
    },
  ]);
}

/**
 * Starts Prometheus on a free loopback port with the given scrape configs and rule groups, a
 * 1 s rule interval and a 1 s default scrape interval. Storage lives in a temp folder.
 */
export async function startPrometheusWith(
  processes: DrillProcesses,
  binary: string,
  ruleGroups: unknown[],
  scrapeConfigs: unknown[],
): Promise<PrometheusServer> {
  const dir = await processes.tempDir('canary-drill-prometheus-');
  await writeFile(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups }));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    rule_files: [join(dir, 'rules.yaml')],
    scrape_configs: scrapeConfigs,
  };
  await writeFile(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const { child, stderr } = processes.spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { cwd: dir, env: { PATH: process.env.PATH } },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('prometheus', async () => (await fetch(`${url}/-/ready`)).ok, child, stderr);
  return { url };
}

/** Starts the Prometheus blackbox exporter on a free loopback port with `configFile`. */
export async function startBlackboxExporter(
  processes: DrillProcesses,
  binary: string,
  configFile: string,
): Promise<{ address: string }> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const { child, stderr } = processes.spawn(
    binary,
    [`--config.file=${configFile}`, `--web.listen-address=${address}`, '--log.level=warn'],
    { cwd: processes.root, env: { PATH: process.env.PATH } },
  );
  await waitFor(
    'blackbox exporter',
    async () => (await fetch(`http://${address}/-/healthy`)).ok,
    child,
    stderr,
  );
  return { address };
}
