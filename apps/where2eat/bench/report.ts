/**
 * The pure half of `npm run bench`: ratios, the results table, the cold-start lines, the targets
 * and the replacement of the generated section of docs/performance.md.
 */

/** One server measured under load. */
export interface VariantResult {
  name: string;
  label: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rssBytes: number;
  /** V8 heap in use after the timed run. */
  heapUsedBytes: number;
  /** The server's CPU time (user + system) over the timed run, per request answered. */
  cpuMicrosPerRequest: number;
}

/** Start-to-ready times of the real `main.js` on one database, with or without telemetry. */
export interface ColdStartResult {
  database: 'PGlite' | 'PostgreSQL';
  telemetry: boolean;
  runsMs: number[];
}

export interface Machine {
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  nodeVersion: string;
  platform: string;
  date: Date;
}

export interface Target {
  name: string;
  goal: string;
  actual: string;
  met: boolean | undefined;
}

export const SECTION_START = '<!-- bench:start -->';
export const SECTION_END = '<!-- bench:end -->';

/** Telemetry may add at most this much server CPU per request (every request traced). */
export const TELEMETRY_CPU_TARGET_US = 25;
/** The full stack on the non-db route may cost at most this much server CPU per request. */
export const FULL_STACK_CPU_TARGET_US = 60;
/** The full stack's requests/s must be at least this share of bare Hono's. */
export const THROUGHPUT_TARGET = 0.33;
/** Our telemetry row must serve at least this many times the Express row's requests/s. */
export const EXPRESS_MULTIPLE_TARGET = 5;
/** Resident set after the timed run of the app, per database. */
export const RSS_TARGET_MB = { postgres: 200, pglite: 350 } as const;
/** The database route on PostgreSQL. */
export const DB_ROUTE_TARGET = { requestsPerSec: 3_000, p99Ms: 50 } as const;
/** The seeds' figure: this rate held on the recommendation route. */
export const SUSTAINED_TARGET = { rate: 500, seconds: 30, p95Ms: 300 } as const;
/** Cold start with telemetry on must stay under this many milliseconds. */
export const COLD_START_TARGET_MS = 400;

/** The rows the targets read. */
export const ROWS = {
  baseline: 'bare-hono',
  guardrails: 'guardrails',
  telemetry: 'telemetry',
  telemetrySampled: 'telemetry-sampled',
  express: 'express',
  fullStack: 'app',
  fullStackPostgres: 'app-pg',
  dbRoutePostgres: 'app-db-pg',
} as const;

/** A fixed-rate run (see measure.ts). */
export interface SustainedResult {
  name: string;
  label: string;
  rate: number;
  seconds: number;
  requests: number;
  achievedRate: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
}

/** `value / base`, or `undefined` when there is no usable base. */
export function ratio(value: number, base: number | undefined): number | undefined {
  if (base === undefined || !Number.isFinite(base) || base <= 0) return undefined;
  return value / base;
}

/** Middle value (mean of the two middle ones for an even count); `NaN` for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function latency(ms: number): string {
  return ms < 10 ? ms.toFixed(1) : ms.toFixed(0);
}

/** The results as a Markdown table, each row's requests/s also as a share of `baseline`'s. */
export function formatTable(results: readonly VariantResult[], baseline: string): string {
  const base = results.find((r) => r.name === baseline)?.requestsPerSec;
  const rows = results.map((r) => {
    const share = ratio(r.requestsPerSec, base);
    return [
      r.label,
      grouped.format(r.requestsPerSec),
      latency(r.p50Ms),
      latency(r.p99Ms),
      (r.rssBytes / 1_048_576).toFixed(0),
      (r.heapUsedBytes / 1_048_576).toFixed(0),
      share === undefined ? 'n/a' : share.toFixed(2),
      r.cpuMicrosPerRequest.toFixed(0),
    ];
  });
  return [
    '| variant | req/s | p50 ms | p99 ms | RSS MB | heap MB | req/s vs bare Hono | server CPU µs/req |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

/** Cold starts as a Markdown table: median, fastest and slowest run. */
export function formatColdStarts(results: readonly ColdStartResult[]): string {
  return [
    '| database | telemetry | median ms | min ms | max ms | runs |',
    '|---|---|--:|--:|--:|--:|',
    ...results.map(
      (r) =>
        `| ${r.database} | ${r.telemetry ? 'on (OTLP)' : 'off'} | ${median(r.runsMs).toFixed(0)} | ${Math.min(...r.runsMs).toFixed(0)} | ${Math.max(...r.runsMs).toFixed(0)} | ${r.runsMs.length} |`,
    ),
  ].join('\n');
}

/** The fixed-rate run as one line. */
export function formatSustained(run: SustainedResult): string {
  return `${run.label}: ${run.rate} req/s asked for ${run.seconds} s, ${Math.round(run.achievedRate)} req/s served, p95 ${run.p95Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, ${run.errors} errors`;
}

const us = (value: number) => `${value.toFixed(0)} µs`;
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;

/** The targets of the benchmark (issue list order); `met` is `undefined` when not measured. */
export function targets(
  results: readonly VariantResult[],
  coldStarts: readonly ColdStartResult[],
  sustained?: SustainedResult,
): Target[] {
  const row = (name: string) => results.find((r) => r.name === name);
  const base = row(ROWS.baseline);
  const guardrails = row(ROWS.guardrails);
  const telemetry = row(ROWS.telemetry);
  const sampled = row(ROWS.telemetrySampled);
  const express = row(ROWS.express);
  const full = row(ROWS.fullStack);
  const fullPg = row(ROWS.fullStackPostgres);
  const dbPg = row(ROWS.dbRoutePostgres);
  const list: Target[] = [];
  const add = (name: string, goal: string, measured: [string, boolean] | undefined) =>
    list.push({
      name,
      goal,
      actual: measured?.[0] ?? 'not measured',
      met: measured?.[1],
    });

  const telemetryCost =
    telemetry && guardrails
      ? telemetry.cpuMicrosPerRequest - guardrails.cpuMicrosPerRequest
      : undefined;
  const sampledCost =
    sampled && guardrails
      ? sampled.cpuMicrosPerRequest - guardrails.cpuMicrosPerRequest
      : undefined;
  add(
    'CPU telemetry adds per request, every request traced',
    `<= ${TELEMETRY_CPU_TARGET_US} µs`,
    telemetryCost === undefined
      ? undefined
      : [
          `${us(telemetryCost)}${sampledCost === undefined ? '' : ` (10 % of traces kept: ${us(sampledCost)})`}`,
          telemetryCost <= TELEMETRY_CPU_TARGET_US,
        ],
  );
  add(
    'full stack CPU per request on a non-db route',
    `<= ${FULL_STACK_CPU_TARGET_US} µs`,
    full
      ? [us(full.cpuMicrosPerRequest), full.cpuMicrosPerRequest <= FULL_STACK_CPU_TARGET_US]
      : undefined,
  );
  const share = full && base ? ratio(full.requestsPerSec, base.requestsPerSec) : undefined;
  add(
    'full stack on a non-db route',
    `>= ${THROUGHPUT_TARGET.toFixed(2)} of bare Hono's req/s`,
    share === undefined ? undefined : [share.toFixed(2), share >= THROUGHPUT_TARGET],
  );
  const multiple =
    telemetry && express ? ratio(telemetry.requestsPerSec, express.requestsPerSec) : undefined;
  add(
    'our telemetry row against the Express row',
    `>= ${EXPRESS_MULTIPLE_TARGET} × its req/s`,
    multiple === undefined
      ? undefined
      : [`${multiple.toFixed(1)} ×`, multiple >= EXPRESS_MULTIPLE_TARGET],
  );
  for (const [database, measured, limitMb] of [
    ['PostgreSQL', fullPg, RSS_TARGET_MB.postgres],
    ['PGlite', full, RSS_TARGET_MB.pglite],
  ] as const) {
    add(
      `resident set of the app on ${database} after the run`,
      `<= ${limitMb} MB`,
      measured
        ? [
            `${mb(measured.rssBytes)} (heap ${mb(measured.heapUsedBytes)})`,
            measured.rssBytes <= limitMb * 1_048_576,
          ]
        : undefined,
    );
  }
  add(
    'database route on PostgreSQL',
    `>= ${grouped.format(DB_ROUTE_TARGET.requestsPerSec)} req/s with p99 < ${DB_ROUTE_TARGET.p99Ms} ms`,
    dbPg
      ? [
          `${grouped.format(dbPg.requestsPerSec)} req/s, p99 ${latency(dbPg.p99Ms)} ms`,
          dbPg.requestsPerSec >= DB_ROUTE_TARGET.requestsPerSec &&
            dbPg.p99Ms < DB_ROUTE_TARGET.p99Ms,
        ]
      : undefined,
  );
  add(
    `${SUSTAINED_TARGET.rate} req/s for ${SUSTAINED_TARGET.seconds} s on the recommendation route`,
    `p95 < ${SUSTAINED_TARGET.p95Ms} ms, no errors`,
    sustained
      ? [
          `${Math.round(sustained.achievedRate)} req/s, p95 ${sustained.p95Ms.toFixed(1)} ms, ${sustained.errors} errors (${sustained.name})`,
          sustained.errors === 0 &&
            sustained.p95Ms < SUSTAINED_TARGET.p95Ms &&
            sustained.achievedRate >= 0.95 * sustained.rate,
        ]
      : undefined,
  );
  // Production runs on PostgreSQL: its start is the one the target is about, when measured.
  const withTelemetry =
    coldStarts.find((r) => r.telemetry && r.database === 'PostgreSQL') ??
    coldStarts.find((r) => r.telemetry);
  const coldMs = withTelemetry ? median(withTelemetry.runsMs) : undefined;
  add(
    'cold start with telemetry on',
    `< ${COLD_START_TARGET_MS} ms`,
    coldMs === undefined || !withTelemetry
      ? undefined
      : [`${coldMs.toFixed(0)} ms (${withTelemetry.database})`, coldMs < COLD_START_TARGET_MS],
  );
  return list;
}

export function formatTargets(list: readonly Target[]): string {
  const mark = (met: boolean | undefined) =>
    met === undefined ? 'not measured' : met ? 'met' : 'NOT met';
  return list.map((t) => `- ${t.name}: ${t.actual} (target ${t.goal}): ${mark(t.met)}`).join('\n');
}

/** One line naming the machine a run was made on. */
export function describeMachine(machine: Machine): string {
  const memoryGiB = (machine.totalMemoryBytes / 1024 ** 3).toFixed(1);
  const day = machine.date.toISOString().slice(0, 10);
  return `${machine.cpuCount} × ${machine.cpuModel.trim()}, ${memoryGiB} GiB RAM, ${machine.platform}, Node ${machine.nodeVersion}, ${day}`;
}

/**
 * Replaces what lies between the `bench:start` and `bench:end` markers of `document` with
 * `content`, keeping the markers and everything around them.
 *
 * @throws {Error} when a marker is missing, repeated or out of order
 */
export function replaceSection(document: string, content: string): string {
  const start = document.indexOf(SECTION_START);
  const end = document.indexOf(SECTION_END);
  if (start === -1 || end === -1) {
    throw new Error(`the document needs both ${SECTION_START} and ${SECTION_END}`);
  }
  if (
    end < start ||
    document.indexOf(SECTION_START, start + 1) !== -1 ||
    document.indexOf(SECTION_END, end + 1) !== -1
  ) {
    throw new Error(`${SECTION_START} must appear once, before the one ${SECTION_END}`);
  }
  const before = document.slice(0, start + SECTION_START.length);
  const after = document.slice(end);
  return `${before}\n${content.trim()}\n${after}`;
}
