import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs with embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3099,
      DATA_DIR: '.data/pglite',
      MIGRATE_ON_START: true,
      AUTH_AUDIENCE: 'app-template',
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('lists every invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/^DATABASE_URL: .*postgres/m);
  });

  it('requires a real database and identity provider in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL: is required/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_ISSUER: is required/);
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/app',
      AUTH_ISSUER: 'https://id.example.com/',
    });
    expect(config.MIGRATE_ON_START).toBe(false);
    expect(config.SHUTDOWN_DRAIN_MS).toBe(5_000);
  });
});
