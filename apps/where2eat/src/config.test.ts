import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_ISSUER, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs with embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      DATA_DIR: '.data/pglite',
      MIGRATE_ON_START: true,
      SHUTDOWN_DRAIN_MS: 0,
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
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT: /m);
    expect(problems).toMatch(/^DATABASE_URL: .*postgres/m);
    expect(problems).toMatch(/^LOG_LEVEL: /m);
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('requires DATABASE_URL in production and does not migrate at start there', () => {
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

  it('refuses a plain http:// issuer or JWKS URL, and the dev identity provider, in production', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/app' };
    for (const env of [
      { AUTH_ISSUER: DEV_ISSUER },
      { AUTH_ISSUER: 'http://id.example.com' },
      { AUTH_ISSUER: 'https://id.example.com', AUTH_JWKS_URL: 'http://id.example.com/jwks' },
    ]) {
      const error = (() => {
        try {
          loadConfig({ ...production, ...env });
        } catch (err) {
          return err;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      const [problem] = (error as ConfigError).problems;
      expect((error as ConfigError).problems).toHaveLength(1);
      expect(problem).toMatch(
        /^AUTH_(ISSUER|JWKS_URL): must be an https:\/\/ URL of the identity provider production trusts, got http:\/\/.* \(plain http:\/\/ and the dev identity provider are for development only\)$/,
      );
    }
    // Development and tests keep the dev IdP.
    expect(loadConfig({ AUTH_ISSUER: DEV_ISSUER }).AUTH_ISSUER).toBe(DEV_ISSUER);
    expect(
      loadConfig({
        ...production,
        AUTH_ISSUER: 'https://id.example.com',
      }).AUTH_ISSUER,
    ).toBe('https://id.example.com');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(3000);
  });
});
