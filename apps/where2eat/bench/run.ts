/**
 * `npm run bench -- [--duration 8] [--warmup 2] [--only a,b] [--write] [--json]`
 *
 * What each guardrail costs: starts bare `node:http`, bare Hono and where2eat's stack layer by
 * layer, each in a process of its own (bench/server.ts), drives each with autocannon on loopback,
 * and prints requests/s, p50/p99 latency, RSS and the server's CPU time per request, with
 * requests/s as a share of bare Hono's.
 * Then measures the cold start of the built `main.js` (process start to a 200 from
 * /health/ready) with telemetry off and on, on PGlite and, when DATABASE_URL is set, on a fresh
 * database on that server. `--write` puts the results in docs/performance.md. Exits 1 when a
 * server fails to start or answers anything but 2xx; the targets are reported, never enforced.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type DevIdp, startDevIdp } from '@micro-app/dev-idp';
import { checkBuild, measureColdStarts } from './cold-start.ts';
import { type MeasuredVariant, measureVariant } from './measure.ts';
import { APP_DIR, Processes } from './processes.ts';
import { type Receiver, startReceiver } from './receiver.ts';
import {
  type ColdStartResult,
  describeMachine,
  formatColdStarts,
  formatTable,
  formatTargets,
  replaceSection,
  targets,
} from './report.ts';
import { BASELINE, FULL_STACK, selectVariants } from './variants.ts';

const DOCS_FILE = fileURLToPath(new URL('../../../docs/performance.md', import.meta.url));
const FLAGS_FILE = join(APP_DIR, 'flags.json');

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run bench -- [--duration SECONDS] [--warmup SECONDS] [--connections N] [--only NAME,…] [--cold-start-runs N] [--write] [--json]`,
  );
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        duration: { type: 'string', default: '8' },
        warmup: { type: 'string', default: '2' },
        connections: { type: 'string', default: '50' },
        only: { type: 'string' },
        'cold-start-runs': { type: 'string', default: '5' },
        write: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();

function positive(name: string, raw: string, { integer = false, min = 0 } = {}): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= min || (integer && !Number.isInteger(value))) {
    usage(`--${name} must be a ${integer ? 'whole ' : ''}number above ${min}, got "${raw}"`);
  }
  return value;
}

const durationSec = positive('duration', values.duration);
const warmupSec = Number(values.warmup);
if (!Number.isFinite(warmupSec) || warmupSec < 0) usage('--warmup must be 0 or more seconds');
const connections = positive('connections', values.connections, { integer: true });
const coldStartRuns = positive('cold-start-runs', values['cold-start-runs'], { integer: true });
const only = values.only
  ?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
if (values.write && only) usage('--write records a full run; leave out --only');
const variants = (() => {
  try {
    return selectVariants(only);
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const runColdStart = !only || only.includes('cold-start');

const log = (line: string) => (values.json ? console.error(line) : console.log(line));

const processes = new Processes();
let idp: DevIdp | undefined;
let receiver: Receiver | undefined;

async function cleanUp(): Promise<void> {
  await processes.cleanUp();
  await idp?.close();
  await receiver?.close();
}

process.once('SIGINT', () => {
  log('interrupted; stopping the servers…');
  void cleanUp().finally(() => process.exit(130));
});

try {
  // The servers with telemetry or the app, and the cold start, run the build in dist/.
  if (runColdStart || variants.some((v) => v.telemetry || v.name.startsWith('app'))) {
    const warning = checkBuild(APP_DIR);
    if (warning) log(`warning: ${warning}`);
  }
  if (runColdStart || variants.some((v) => v.telemetry)) receiver = await startReceiver();
  let token: string | undefined;
  if (variants.some((v) => v.auth)) {
    idp = await startDevIdp({ port: 0 });
    token = await idp.getUserToken('alice');
  }

  log(
    `benchmarking ${variants.length} servers, ${connections} connections, ${warmupSec} s warm-up + ${durationSec} s each`,
  );
  const results: MeasuredVariant[] = [];
  const failures: string[] = [];
  for (const [index, variant] of variants.entries()) {
    const step = `[${index + 1}/${variants.length}]`;
    try {
      results.push(
        await measureVariant(variant, step, {
          processes,
          load: { connections, warmupSec, durationSec },
          settings: {
            flagsFile: FLAGS_FILE,
            ...(variant.auth && idp
              ? { auth: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri } }
              : {}),
            ...(variant.name.startsWith('app')
              ? { dataDir: await processes.tempDir('where2eat-bench-') }
              : {}),
          },
          token,
          otlpUrl: receiver?.url,
          log,
        }),
      );
    } catch (error) {
      failures.push(`${variant.name}: ${(error as Error).message}`);
      log(`${step} ${variant.label}: FAILED\n${(error as Error).message}`);
    }
  }

  let coldStarts: ColdStartResult[] = [];
  if (runColdStart && receiver) {
    try {
      coldStarts = await measureColdStarts({
        processes,
        otlpUrl: receiver.url,
        runs: coldStartRuns,
        databaseUrl: process.env.DATABASE_URL,
        log,
      });
    } catch (error) {
      failures.push(`cold start: ${(error as Error).message}`);
      log(`cold start FAILED: ${(error as Error).message}`);
    }
  }

  const machine = describeMachine({
    cpuModel: cpus()[0]?.model ?? 'unknown CPU',
    cpuCount: cpus().length,
    totalMemoryBytes: totalmem(),
    nodeVersion: process.versions.node,
    platform: `${platform()} ${release()}`,
    date: new Date(),
  });
  const table = formatTable(results, BASELINE);
  const goals = targets(results, coldStarts, { baseline: BASELINE, fullStack: FULL_STACK });
  const settings = `autocannon, ${connections} connections, ${warmupSec} s warm-up then ${durationSec} s per server, load generator on the same machine`;

  if (values.json) {
    console.log(
      JSON.stringify({ machine, results, coldStarts, targets: goals, failures }, null, 2),
    );
  } else {
    log('');
    log(table);
    if (coldStarts.length > 0)
      log(`\nCold start (process start to ready 200):\n${formatColdStarts(coldStarts)}`);
    log(`\nTargets:\n${formatTargets(goals)}`);
    if (receiver) log(`\nOTLP receiver took ${receiver.exports} exports.`);
    log(`\nMachine: ${machine}\nSettings: ${settings}`);
  }

  if (failures.length > 0) {
    console.error(`\nbench failed:\n${failures.map((f) => `- ${f.split('\n')[0]}`).join('\n')}`);
    process.exitCode = 1;
  } else if (values.write) {
    const section = [
      `Machine: ${machine}.  `,
      `Settings: ${settings}.`,
      '',
      table,
      '',
      'Cold start of the built app (process start to the first 200 from `/health/ready`):',
      '',
      formatColdStarts(coldStarts),
      '',
      'Targets:',
      '',
      formatTargets(goals),
    ].join('\n');
    await writeFile(DOCS_FILE, replaceSection(await readFile(DOCS_FILE, 'utf8'), section));
    log(`\nwrote the results to ${DOCS_FILE}`);
  }
} catch (error) {
  console.error(`bench failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
