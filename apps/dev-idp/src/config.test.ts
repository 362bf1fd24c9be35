import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to localhost:4000, audience where2eat and a git-ignored key file', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      issuer: 'http://localhost:4000',
      audience: 'where2eat',
      extraAudiences: [],
      scopes: ['cuisines:read', 'groups:read', 'groups:write'],
      keysFile: '.data/keys.json',
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        PORT: '4100',
        HOST: '0.0.0.0',
        ISSUER: 'http://dev-idp:4100/',
        AUDIENCE: 'api',
        EXTRA_AUDIENCES: 'ratings, billing',
        SCOPES: 'groups:read groups:write',
        KEYS_FILE: 'none',
      }),
    ).toEqual({
      port: 4100,
      host: '0.0.0.0',
      issuer: 'http://dev-idp:4100',
      audience: 'api',
      extraAudiences: ['ratings', 'billing'],
      scopes: ['groups:read', 'groups:write'],
      keysFile: undefined,
    });
  });

  it('leaves the issuer to the picked port when PORT is 0', () => {
    expect(loadConfig({ PORT: '0' }).issuer).toBeUndefined();
  });

  it('names every invalid variable in one error', () => {
    expect(() => loadConfig({ PORT: 'abc', ISSUER: 'ftp://x/path', AUDIENCE: ' ' })).toThrow(
      /PORT must be an integer[\s\S]*ISSUER must be an http\(s\) origin[\s\S]*AUDIENCE must not be empty/,
    );
  });
});
