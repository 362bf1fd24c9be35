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

/** The full stack's requests/s must be at least this share of bare Hono's. */
export const THROUGHPUT_TARGET = 0.5;
/** Cold start with telemetry on must stay under this many milliseconds. */
export const COLD_START_TARGET_MS = 500;

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
      share === undefined ? 'n/a' : share.toFixed(2),
      r.cpuMicrosPerRequest.toFixed(0),
    ];
  });
  return [
    '| variant | req/s | p50 ms | p99 ms | RSS MB | req/s vs bare Hono | server CPU µs/req |',
    '|---|--:|--:|--:|--:|--:|--:|',
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

/** The two targets of the benchmark; `met` is `undefined` when the run did not measure it. */
export function targets(
  results: readonly VariantResult[],
  coldStarts: readonly ColdStartResult[],
  names: { baseline: string; fullStack: string },
): Target[] {
  const base = results.find((r) => r.name === names.baseline);
  const full = results.find((r) => r.name === names.fullStack);
  const share = full && base ? ratio(full.requestsPerSec, base.requestsPerSec) : undefined;
  // Production runs on PostgreSQL: its start is the one the target is about, when measured.
  const withTelemetry =
    coldStarts.find((r) => r.telemetry && r.database === 'PostgreSQL') ??
    coldStarts.find((r) => r.telemetry);
  const coldMs = withTelemetry ? median(withTelemetry.runsMs) : undefined;
  return [
    {
      name: 'full stack on a non-db route',
      goal: `>= ${THROUGHPUT_TARGET.toFixed(2)} of bare Hono's req/s`,
      actual: share === undefined ? 'not measured' : share.toFixed(2),
      met: share === undefined ? undefined : share >= THROUGHPUT_TARGET,
    },
    {
      name: 'cold start with telemetry on',
      goal: `< ${COLD_START_TARGET_MS} ms`,
      actual:
        coldMs === undefined || !withTelemetry
          ? 'not measured'
          : `${coldMs.toFixed(0)} ms (${withTelemetry.database})`,
      met: coldMs === undefined ? undefined : coldMs < COLD_START_TARGET_MS,
    },
  ];
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
