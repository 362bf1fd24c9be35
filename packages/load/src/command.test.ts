import { afterEach, describe, expect, it } from 'vitest';
import { type LoadCommandOptions, runLoadCommand, type StartedTarget } from './command.js';
import { testServer } from './test/server.js';

const scenarios = {
  smoke: { description: 'A few requests.', stages: [{ rps: 5, seconds: 20 }] },
  pair: {
    description: 'Two blocks.',
    stages: [
      { rps: 4, seconds: 1 },
      { rps: 8, seconds: 1 },
    ],
  },
};
const thresholds = { p95Ms: 300, errorRate: 0.005 };

const servers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** Runs the command with its output captured. */
async function run(
  argv: string[],
  options: Partial<LoadCommandOptions<StartedTarget & { token: string }>> = {},
  events: string[] = [],
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLoadCommand({
    argv,
    scenarios,
    thresholds,
    flags: ['user'],
    prepare: async ({ baseUrl, started, flags }) => {
      events.push(`prepare ${baseUrl === started?.baseUrl ? 'started' : 'given'} ${flags.user}`);
      return {
        requests: [{ path: '/ok' }],
        headers: { authorization: `Bearer ${started?.token ?? 'given'}` },
        cleanup: async () => {
          events.push('cleanup');
        },
      };
    },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    ...options,
  });
  return { code, out, err, events };
}

describe('runLoadCommand', () => {
  it('starts the target, loads it, prints a line per stage and threshold, stops it: exit 0', async () => {
    const s = await testServer();
    servers.push(s);
    const events: string[] = [];
    const { code, out, err } = await run(
      ['pair', '--user', 'alice'],
      {
        start: async ({ log }) => {
          log('starting the test server…');
          events.push('start');
          return {
            baseUrl: s.url,
            token: 'started-token',
            stop: async () => {
              events.push('stop');
            },
          };
        },
      },
      events,
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(events).toEqual(['start', 'prepare started alice', 'cleanup', 'stop']);
    expect(out[0]).toBe('starting the test server…');
    expect(out[1]).toBe(`pair: Two blocks. (2 s against ${s.url})`);
    expect(out[2]).toMatch(
      /^ {6}4 req\/s for 1 s: \d+ requests, \d+\/s achieved, p95 [\d.]+ ms, 0 failed$/,
    );
    expect(out[3]).toMatch(/^ {6}8 req\/s for 1 s: /);
    expect(out[4]).toMatch(/^✓ http_req_duration p\(95\) < 300 ms: [\d.]+ ms$/);
    expect(out[5]).toMatch(/^✓ http_req_failed rate < 0\.5%: 0\.00% \(0\/\d+\)$/);
    expect(s.seen.length).toBeLessThanOrEqual(12);
    expect(s.seen.every((r) => r.authorization === 'Bearer started-token')).toBe(true);
  });

  it('targets --base-url with --json and --seconds cutting each stage: the result only', async () => {
    const s = await testServer();
    servers.push(s);
    const { code, out, events } = await run([
      'smoke',
      '--base-url',
      s.url,
      '--seconds',
      '1',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(events).toEqual(['prepare given undefined', 'cleanup']);
    expect(out).toHaveLength(1);
    const report = JSON.parse(out[0] ?? '') as {
      scenario: string;
      requests: number;
      stages: Array<{ rps: number; seconds: number }>;
      thresholds: Array<{ ok: boolean }>;
    };
    expect(report.scenario).toBe('smoke');
    expect(report.stages.map((st) => [st.rps, st.seconds])).toEqual([[5, 1]]);
    expect(report.requests).toBeGreaterThan(0);
    expect(report.requests).toBeLessThanOrEqual(5);
    expect(report.thresholds.map((t) => t.ok)).toEqual([true, true]);
  });

  it('exits 1 when a threshold is broken, still cleaning up', async () => {
    const s = await testServer({ status: () => 500 });
    servers.push(s);
    const { code, out, events } = await run(['pair', '--base-url', s.url, '--seconds', '1']);
    expect(code).toBe(1);
    expect(out.at(-1)).toMatch(/^✗ http_req_failed rate < 0\.5%: 100\.00% \((\d+)\/\1\)$/);
    expect(events.at(-1)).toBe('cleanup');
  });

  it('exits 1 with one line for a failed run, stopping what it started', async () => {
    const events: string[] = [];
    const failed = await run(['smoke'], {
      start: async () => ({
        baseUrl: 'http://127.0.0.1:1',
        token: 't',
        stop: async () => void events.push('stop'),
      }),
      prepare: async () => {
        throw new Error('POST /v1/notes answered 401');
      },
    });
    expect(failed.code).toBe(1);
    expect(failed.err).toEqual(['load run failed: POST /v1/notes answered 401']);
    expect(events).toEqual(['stop']);

    const remote = await run(['smoke', '--base-url', 'http://10.1.2.3:3000']);
    expect(remote.code).toBe(1);
    expect(remote.err[0]).toMatch(
      /^load run failed: http:\/\/10\.1\.2\.3:3000 is not on this machine/,
    );
    expect(remote.events).toEqual([]);
  });

  it.each([
    [['nope'], 'unknown scenario "nope"'],
    [['smoke', 'pair'], 'one scenario expected, got smoke pair'],
    [['--verbose'], "Unknown option '--verbose'"],
    [['--seconds', '0.5', '--base-url', 'http://127.0.0.1:1'], '--seconds must be a whole number'],
    [['smoke'], '--base-url is required'],
  ])('exits 2 with the usage for %j', async (argv, message) => {
    const { code, err, events } = await run(argv);
    expect(code).toBe(2);
    expect(err[0]).toContain(message);
    expect(err[0]).toContain(
      'usage: npm run load -- [smoke|pair] [--base-url URL] [--user USER] [--seconds N] [--json]',
    );
    expect(events).toEqual([]);
  });
});
