import { describe, expect, it } from 'vitest';
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
  targets,
  type VariantResult,
} from './report.ts';
import { selectVariants, VARIANTS } from './variants.ts';

const row = (name: string, requestsPerSec: number, extra: Partial<VariantResult> = {}) => ({
  name,
  label: name,
  requestsPerSec,
  p50Ms: 1,
  p99Ms: 4,
  rssBytes: 100 * 1_048_576,
  cpuMicrosPerRequest: 20,
  ...extra,
});

const names = { baseline: 'bare-hono', fullStack: 'app' };

describe('ratio and median', () => {
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
});

describe('formatTable', () => {
  it('prints one row per server with req/s as a share of the baseline', () => {
    const table = formatTable(
      [
        row('bare-node', 30_000),
        row('bare-hono', 24_000, { p50Ms: 1.04, p99Ms: 12.6, rssBytes: 73 * 1_048_576 }),
        row('app', 9_600, { cpuMicrosPerRequest: 96.4 }),
      ],
      'bare-hono',
    );
    expect(table.split('\n')).toEqual([
      '| variant | req/s | p50 ms | p99 ms | RSS MB | req/s vs bare Hono | server CPU µs/req |',
      '|---|--:|--:|--:|--:|--:|--:|',
      '| bare-node | 30,000 | 1.0 | 4.0 | 100 | 1.25 | 20 |',
      '| bare-hono | 24,000 | 1.0 | 13 | 73 | 1.00 | 20 |',
      '| app | 9,600 | 1.0 | 4.0 | 100 | 0.40 | 96 |',
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

  it('prints the median, fastest and slowest run of each setup', () => {
    expect(formatColdStarts([cold('PGlite', true, [700, 500, 900])]).split('\n')[2]).toBe(
      '| PGlite | on (OTLP) | 700 | 500 | 900 | 3 |',
    );
  });

  it('meets the throughput target at half of bare Hono and not below', () => {
    const met = targets([row('bare-hono', 20_000), row('app', 10_000)], [], names);
    expect(met[0]).toMatchObject({ actual: '0.50', met: true });
    const missed = targets([row('bare-hono', 20_000), row('app', 9_999)], [], names);
    expect(missed[0]).toMatchObject({ actual: '0.50', met: false });
  });

  it('judges the cold start on PostgreSQL when measured, else on PGlite', () => {
    const pglite = [cold('PGlite', false, [300]), cold('PGlite', true, [800, 900, 700])];
    expect(targets([], pglite, names)[1]).toMatchObject({ actual: '800 ms (PGlite)', met: false });
    const both = [...pglite, cold('PostgreSQL', true, [450, 480, 490])];
    expect(targets([], both, names)[1]).toMatchObject({
      actual: '480 ms (PostgreSQL)',
      met: true,
    });
  });

  it('says a target was not measured instead of failing it', () => {
    const list = targets([row('bare-hono', 20_000)], [], names);
    expect(list.map((t) => t.met)).toEqual([undefined, undefined]);
    expect(formatTargets(list)).toBe(
      [
        "- full stack on a non-db route: not measured (target >= 0.50 of bare Hono's req/s): not measured",
        '- cold start with telemetry on: not measured (target < 500 ms): not measured',
      ].join('\n'),
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
    expect(() => selectVariants(['bare-hono', 'express'])).toThrow(
      /unknown variant "express"; known: bare-node, bare-hono/,
    );
  });
});
