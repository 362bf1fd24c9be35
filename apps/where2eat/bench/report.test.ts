import { describe, expect, it } from 'vitest';
import { quantile } from './measure.ts';
import {
  type ColdStartResult,
  describeMachine,
  formatColdStarts,
  formatTable,
  formatTargets,
  median,
  ratio,
  replaceSection,
  SECTION_END,
  SECTION_START,
  type SustainedResult,
  type Target,
  targets,
  type VariantResult,
} from './report.ts';
import { selectVariants, VARIANTS } from './variants.ts';

const row = (
  name: string,
  requestsPerSec: number,
  extra: Partial<VariantResult> = {},
): VariantResult => ({
  name,
  label: name,
  requestsPerSec,
  p50Ms: 1,
  p99Ms: 4,
  rssBytes: 100 * 1_048_576,
  heapUsedBytes: 30 * 1_048_576,
  cpuMicrosPerRequest: 20,
  ...extra,
});

describe('ratio, median and quantile', () => {
  it('divides by the base, and has no ratio without a usable base', () => {
    expect(ratio(5_000, 20_000)).toBe(0.25);
    expect(ratio(5_000, undefined)).toBeUndefined();
    expect(ratio(5_000, 0)).toBeUndefined();
    expect(ratio(5_000, Number.NaN)).toBeUndefined();
  });

  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([480, 120, 300, 900, 200])).toBe(300);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('takes the nearest-rank quantile of the response times', () => {
    const times = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(times, 0.95)).toBe(95);
    expect(quantile(times, 0.99)).toBe(99);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([], 0.95)).toBeNaN();
  });
});

describe('formatTable', () => {
  it('prints one row per server with heap beside RSS and req/s as a share of the baseline', () => {
    const table = formatTable(
      [
        row('bare-node', 30_000),
        row('bare-hono', 24_000, { p50Ms: 1.04, p99Ms: 12.6, rssBytes: 73 * 1_048_576 }),
        row('app', 9_600, { cpuMicrosPerRequest: 96.4, heapUsedBytes: 61 * 1_048_576 }),
      ],
      'bare-hono',
    );
    expect(table.split('\n')).toEqual([
      '| variant | req/s | p50 ms | p99 ms | RSS MB | heap MB | req/s vs bare Hono | server CPU µs/req |',
      '|---|--:|--:|--:|--:|--:|--:|--:|',
      '| bare-node | 30,000 | 1.0 | 4.0 | 100 | 30 | 1.25 | 20 |',
      '| bare-hono | 24,000 | 1.0 | 13 | 73 | 30 | 1.00 | 20 |',
      '| app | 9,600 | 1.0 | 4.0 | 100 | 61 | 0.40 | 96 |',
    ]);
  });

  it('prints n/a for the ratio when the baseline was not measured', () => {
    expect(formatTable([row('app', 9_600)], 'bare-hono')).toContain('| app | 9,600 |');
    expect(formatTable([row('app', 9_600)], 'bare-hono').split('\n')[2]).toMatch(
      /\| n\/a \| 20 \|$/,
    );
  });
});

describe('cold starts and targets', () => {
  const cold = (
    database: ColdStartResult['database'],
    telemetry: boolean,
    runsMs: number[],
  ): ColdStartResult => ({ database, telemetry, runsMs });
  const target = (list: Target[], name: string) => list.find((t) => t.name.startsWith(name));
  const sustained = (extra: Partial<SustainedResult> = {}): SustainedResult => ({
    name: 'app-db-pg',
    label: 'recommendation',
    rate: 500,
    seconds: 30,
    requests: 15_000,
    achievedRate: 499.6,
    p95Ms: 12.3,
    p99Ms: 40,
    errors: 0,
    ...extra,
  });

  it('prints the median, fastest and slowest run of each setup', () => {
    expect(formatColdStarts([cold('PGlite', true, [700, 500, 900])]).split('\n')[2]).toBe(
      '| PGlite | on (OTLP) | 700 | 500 | 900 | 3 |',
    );
  });

  it('meets the throughput target at a third of bare Hono and not below', () => {
    const met = targets([row('bare-hono', 30_000), row('app', 9_900)], []);
    expect(target(met, 'full stack on a non-db route')).toMatchObject({
      actual: '0.33',
      met: true,
    });
    const missed = targets([row('bare-hono', 30_000), row('app', 9_800)], []);
    expect(target(missed, 'full stack on a non-db route')).toMatchObject({ met: false });
  });

  it('prices telemetry as its row minus the guardrails row, with the sampled row beside it', () => {
    const list = targets(
      [
        row('guardrails', 20_000, { cpuMicrosPerRequest: 40 }),
        row('telemetry', 15_000, { cpuMicrosPerRequest: 64 }),
        row('telemetry-sampled', 16_000, { cpuMicrosPerRequest: 55 }),
        row('express', 2_000),
      ],
      [],
    );
    expect(target(list, 'CPU telemetry adds')).toMatchObject({
      actual: '24 µs (10 % of traces kept: 15 µs)',
      met: true,
    });
    expect(target(list, 'our telemetry row against the Express row')).toMatchObject({
      actual: '7.5 ×',
      met: true,
    });
  });

  it('judges memory per database, the PostgreSQL route and the fixed-rate run', () => {
    const list = targets(
      [
        row('app', 9_000, { rssBytes: 351 * 1_048_576 }),
        row('app-pg', 9_000, { rssBytes: 200 * 1_048_576 }),
        row('app-db-pg', 3_100, { p99Ms: 49 }),
      ],
      [],
      sustained(),
    );
    expect(target(list, 'resident set of the app on PostgreSQL')).toMatchObject({
      actual: '200 MB (heap 30 MB)',
      met: true,
    });
    expect(target(list, 'resident set of the app on PGlite')?.met).toBe(false);
    expect(target(list, 'database route on PostgreSQL')).toMatchObject({
      actual: '3,100 req/s, p99 49 ms',
      met: true,
    });
    expect(target(list, '500 req/s for 30 s')?.met).toBe(true);
    expect(target(targets([], [], sustained({ errors: 1 })), '500 req/s')?.met).toBe(false);
    expect(target(targets([], [], sustained({ achievedRate: 400 })), '500 req/s')?.met).toBe(false);
    expect(target(targets([], [], sustained({ p95Ms: 300 })), '500 req/s')?.met).toBe(false);
  });

  it('judges the cold start on PostgreSQL when measured, else on PGlite', () => {
    const pglite = [cold('PGlite', false, [300]), cold('PGlite', true, [800, 900, 700])];
    expect(target(targets([], pglite), 'cold start')).toMatchObject({
      actual: '800 ms (PGlite)',
      met: false,
    });
    const both = [...pglite, cold('PostgreSQL', true, [350, 380, 390])];
    expect(target(targets([], both), 'cold start')).toMatchObject({
      actual: '380 ms (PostgreSQL)',
      met: true,
    });
  });

  it('says a target was not measured instead of failing it', () => {
    const list = targets([row('bare-hono', 20_000)], []);
    expect(list).toHaveLength(9);
    expect(list.every((t) => t.met === undefined)).toBe(true);
    expect(formatTargets(list).split('\n')[2]).toBe(
      "- full stack on a non-db route: not measured (target >= 0.33 of bare Hono's req/s): not measured",
    );
  });
});

describe('replaceSection', () => {
  const doc = `# Performance\n\nIntro.\n\n${SECTION_START}\nold table\n${SECTION_END}\n\n## What this says\n`;

  it('replaces what lies between the markers and keeps the rest', () => {
    expect(replaceSection(doc, '| new | table |\n')).toBe(
      `# Performance\n\nIntro.\n\n${SECTION_START}\n| new | table |\n${SECTION_END}\n\n## What this says\n`,
    );
    // Running it twice gives the same document.
    const once = replaceSection(doc, 'x');
    expect(replaceSection(once, 'x')).toBe(once);
  });

  it('refuses a document with a missing, repeated or misplaced marker', () => {
    expect(() => replaceSection('# no markers', 'x')).toThrow(/needs both/);
    expect(() => replaceSection(`${SECTION_END}\n${SECTION_START}`, 'x')).toThrow(/once, before/);
    expect(() => replaceSection(`${doc}${SECTION_START}`, 'x')).toThrow(/once, before/);
  });
});

describe('describeMachine', () => {
  it('names the CPU, core count, memory, system, Node and day', () => {
    expect(
      describeMachine({
        cpuModel: 'AMD EPYC 7B13 ',
        cpuCount: 2,
        totalMemoryBytes: 8 * 1024 ** 3,
        nodeVersion: '24.21.0',
        platform: 'linux 6.8.0',
        date: new Date('2026-03-01T10:00:00Z'),
      }),
    ).toBe('2 × AMD EPYC 7B13, 8.0 GiB RAM, linux 6.8.0, Node 24.21.0, 2026-03-01');
  });
});

describe('selectVariants', () => {
  it('keeps the run order whatever order --only names them in', () => {
    expect(selectVariants(['app', 'bare-hono']).map((v) => v.name)).toEqual(['bare-hono', 'app']);
    expect(selectVariants(undefined)).toEqual(VARIANTS);
    expect(selectVariants(['cold-start'])).toEqual([]);
  });

  it('rejects an unknown name and lists the known ones', () => {
    expect(() => selectVariants(['bare-hono', 'fastify'])).toThrow(
      /unknown variant "fastify"; known: bare-node, bare-hono.*express.*sustained, cold-start$/,
    );
  });
});
