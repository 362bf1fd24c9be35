import { describe, expect, it } from 'vitest';
import { FlagsError } from './errors.js';
import { type FlagsOptions, resolveFlagsOptions } from './options.js';

const unleash = { url: 'https://unleash.example.com/api', apiToken: 'token', appName: 'app' };

function thrown(options: unknown): FlagsError {
  try {
    resolveFlagsOptions(options as FlagsOptions);
  } catch (err) {
    return err as FlagsError;
  }
  return expect.unreachable('the options were accepted');
}

describe('resolveFlagsOptions', () => {
  it('serves declared defaults with neither Unleash nor a file', () => {
    const resolved = resolveFlagsOptions();
    expect(resolved).toMatchObject({
      source: 'defaults',
      unleash: undefined,
      file: undefined,
      watchIntervalMs: 1000,
    });
    expect(typeof resolved.logger.warn).toBe('function');
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('applies the Unleash defaults', () => {
    expect(resolveFlagsOptions({ unleash })).toMatchObject({
      source: 'unleash',
      file: undefined,
      unleash: {
        ...unleash,
        environment: undefined,
        instanceId: undefined,
        projectName: undefined,
        refreshIntervalMs: 15_000,
        metricsIntervalMs: 60_000,
        disableMetrics: false,
        requestTimeoutMs: 10_000,
        backupPath: undefined,
        customHeaders: undefined,
      },
    });
  });

  it('keeps what is given', () => {
    const logger = { warn() {} };
    const given = {
      ...unleash,
      url: 'http://localhost:4242/api',
      environment: 'production',
      instanceId: 'pod-1',
      projectName: 'dining',
      refreshIntervalMs: 1,
      metricsIntervalMs: 1,
      disableMetrics: true,
      requestTimeoutMs: 1000,
      backupPath: '/var/cache/flags',
      customHeaders: { 'X-Proxy': 'yes' },
    };
    expect(resolveFlagsOptions({ unleash: given, logger })).toEqual({
      source: 'unleash',
      unleash: given,
      file: undefined,
      watchIntervalMs: 1000,
      logger,
    });
  });

  it.each([0, 1, 60_000])('reads a bootstrap file, watched every %i ms (0: never)', (ms) => {
    expect(resolveFlagsOptions({ file: 'flags.json', watchIntervalMs: ms })).toMatchObject({
      source: 'file',
      file: 'flags.json',
      watchIntervalMs: ms,
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['options that are not an object', null, /^options must be an object/],
    [
      'both Unleash and a file',
      { unleash, file: 'flags.json' },
      /either options\.unleash or options\.file/,
    ],
    ['an empty file path', { file: '' }, /^options\.file/],
    [
      'a negative watch interval',
      { file: 'f.json', watchIntervalMs: -1 },
      /^options\.watchIntervalMs/,
    ],
    ['a fractional watch interval', { watchIntervalMs: 0.5 }, /^options\.watchIntervalMs/],
    ['a logger without warn', { logger: { info() {} } }, /^options\.logger/],
    [
      'an Unleash URL without a scheme',
      { unleash: { ...unleash, url: 'localhost:4242' } },
      /^options\.unleash\.url/,
    ],
    [
      'an Unleash URL that is not http',
      { unleash: { ...unleash, url: 'ftp://unleash' } },
      /^options\.unleash\.url/,
    ],
    [
      'an empty API token',
      { unleash: { ...unleash, apiToken: '' } },
      /^options\.unleash\.apiToken/,
    ],
    ['no app name', { unleash: { ...unleash, appName: undefined } }, /^options\.unleash\.appName/],
    [
      'a request timeout under 1000 ms',
      { unleash: { ...unleash, requestTimeoutMs: 999 } },
      /^options\.unleash\.requestTimeoutMs must be at least 1000/,
    ],
    [
      'a fractional request timeout',
      { unleash: { ...unleash, requestTimeoutMs: 1000.5 } },
      /^options\.unleash\.requestTimeoutMs must be a positive integer/,
    ],
    [
      'a zero refresh interval',
      { unleash: { ...unleash, refreshIntervalMs: 0 } },
      /^options\.unleash\.refreshIntervalMs/,
    ],
    [
      'a fractional metrics interval',
      { unleash: { ...unleash, metricsIntervalMs: 1.5 } },
      /^options\.unleash\.metricsIntervalMs/,
    ],
  ])('refuses %s with FLAGS_INVALID_OPTIONS naming the option', (_, options, message) => {
    const err = thrown(options);
    expect(err).toBeInstanceOf(FlagsError);
    expect(err.code).toBe('FLAGS_INVALID_OPTIONS');
    expect(err.message).toMatch(message);
  });
});
