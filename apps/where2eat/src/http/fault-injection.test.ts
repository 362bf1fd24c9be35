import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { createTestApp, readJson, type TestApp } from '../test/harness.js';
import { APP_DIR } from '../test/main-process.js';
import { faultInjection, injectsFaults } from './fault-injection.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://app@db.internal:5432/where2eat',
  AUTH_ISSUER: 'https://id.example.com/',
};

describe('fault injection config', () => {
  it('is off when nothing is set', () => {
    const config = loadConfig({});
    expect(config.FAULT_INJECTION_ERROR_RATE).toBeUndefined();
    expect(config.FAULT_INJECTION_LATENCY_MS).toBeUndefined();
    expect(
      injectsFaults({
        errorRate: config.FAULT_INJECTION_ERROR_RATE,
        latencyMs: config.FAULT_INJECTION_LATENCY_MS,
      }),
    ).toBe(false);
  });

  it('parses a rate and a latency outside production', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      FAULT_INJECTION_ERROR_RATE: '0.2',
      FAULT_INJECTION_LATENCY_MS: '400',
    });
    expect(config.FAULT_INJECTION_ERROR_RATE).toBe(0.2);
    expect(config.FAULT_INJECTION_LATENCY_MS).toBe(400);
  });

  it('rejects a rate above 1 and a negative latency', () => {
    expect(() => loadConfig({ FAULT_INJECTION_ERROR_RATE: '1.5' })).toThrow(
      /FAULT_INJECTION_ERROR_RATE: /,
    );
    expect(() => loadConfig({ FAULT_INJECTION_LATENCY_MS: '-1' })).toThrow(
      /FAULT_INJECTION_LATENCY_MS: /,
    );
  });

  it('is refused in production, even at 0, naming each variable', () => {
    expect(() => loadConfig(PRODUCTION)).not.toThrow();
    let error: unknown;
    try {
      loadConfig({
        ...PRODUCTION,
        FAULT_INJECTION_ERROR_RATE: '0',
        FAULT_INJECTION_LATENCY_MS: '5',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'FAULT_INJECTION_ERROR_RATE: is refused in production (fault injection is for drills and tests)',
      'FAULT_INJECTION_LATENCY_MS: is refused in production (fault injection is for drills and tests)',
    ]);
  });

  it('stops the program from starting in production', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './src/instrumentation.ts', 'src/main.ts'],
      {
        cwd: APP_DIR,
        env: {
          PATH: process.env.PATH,
          PORT: '0',
          ...PRODUCTION,
          FAULT_INJECTION_ERROR_RATE: '0.2',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain(
      'FAULT_INJECTION_ERROR_RATE: is refused in production (fault injection is for drills and tests)',
    );
  }, 30_000);
});

describe('faultInjection()', () => {
  it('rejects an error rate outside 0..1 and a negative latency when created', () => {
    expect(() => faultInjection({ errorRate: 1.2 })).toThrow(RangeError);
    expect(() => faultInjection({ errorRate: Number.NaN })).toThrow(RangeError);
    expect(() => faultInjection({ latencyMs: -5 })).toThrow(RangeError);
  });
});

describe('fault injection on /v1 (app.request)', () => {
  let broken: TestApp;
  let slow: TestApp;

  beforeAll(async () => {
    broken = await createTestApp({ deps: { faultInjection: { errorRate: 1 } } });
    slow = await createTestApp({ deps: { faultInjection: { errorRate: 0, latencyMs: 250 } } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([broken?.close(), slow?.close()]);
  });

  it('answers 500 problem+json on /v1 at error rate 1, and leaves health alone', async () => {
    const res = await broken.request('/v1/cuisines');
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = await readJson(res);
    expect(body).toMatchObject({
      status: 500,
      title: 'Internal server error',
      detail: 'Injected fault (FAULT_INJECTION_ERROR_RATE).',
      instance: '/v1/cuisines',
    });
    expect((await broken.request('/health/live', {}, null)).status).toBe(200);
    expect(broken.logs.some((l) => l.msg === 'fault injection is on')).toBe(true);
  });

  it('still authenticates first: no token is a 401, not an injected 500', async () => {
    expect((await broken.request('/v1/cuisines', {}, null)).status).toBe(401);
  });

  it('adds the latency to each /v1 request and then answers normally', async () => {
    const started = performance.now();
    const res = await slow.request('/v1/cuisines');
    const elapsedMs = performance.now() - started;
    expect(res.status).toBe(200);
    expect((await readJson(res)).items.length).toBeGreaterThan(0);
    expect(elapsedMs).toBeGreaterThanOrEqual(245);
    expect(slow.logs.some((l) => l.msg === 'fault injection is on')).toBe(true);
  });

  it('injects nothing when both are 0 or unset', () => {
    expect(injectsFaults(undefined)).toBe(false);
    expect(injectsFaults({ errorRate: 0, latencyMs: 0 })).toBe(false);
    expect(injectsFaults({ latencyMs: 1 })).toBe(true);
  });
});
