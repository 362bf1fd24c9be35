import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlagsError } from '../errors.js';
import { createFlags, type Flags } from '../flags.js';
import { flagsFile, recordingLogger, testRegistry, userIds } from '../test-support.js';
import type { FlagName } from '../types.js';
import { parseFlagsFile } from './parse.js';

type Name = FlagName<typeof testRegistry>;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function offline(content: unknown, watchIntervalMs = 20) {
  const fixture = await flagsFile(content);
  const logger = recordingLogger();
  const flags = createFlags(testRegistry, { file: fixture.file, watchIntervalMs, logger });
  cleanups.push(async () => {
    await flags.close();
    await fixture.remove();
  });
  return { ...fixture, flags, logger };
}

async function rejection(flags: Flags<Name>): Promise<FlagsError> {
  const err = await flags.ready().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FlagsError);
  return err as FlagsError;
}

describe('bootstrap file', () => {
  it('serves the declared defaults before ready() and the file values after', async () => {
    const { flags, file } = await offline({ 'recommendation-v2': true, 'new-onboarding': false });
    expect(flags.source).toBe('file');
    expect(flags.isReady()).toBe(false);
    expect(flags.isEnabled('recommendation-v2')).toBe(false);
    expect(flags.isEnabled('new-onboarding')).toBe(true);

    await expect(flags.ready()).resolves.toEqual({ source: 'file', ready: true });
    expect(flags.isReady()).toBe(true);
    expect(flags.isEnabled('recommendation-v2')).toBe(true);
    expect(flags.isEnabled('new-onboarding')).toBe(false);
    expect(file.endsWith('flags.json')).toBe(true);
  });

  it('serves the declared default for a flag the file does not set', async () => {
    const { flags } = await offline({ 'recommendation-v2': true });
    await flags.ready();
    expect(flags.isEnabled('maintenance-mode')).toBe(false);
    expect(flags.isEnabled('new-onboarding')).toBe(true);
  });

  it('warns about flags in the file that are not declared, and ignores $ keys', async () => {
    const { flags, logger, file } = await offline({
      $comment: 'local flags',
      'recomendation-v2': true,
    });
    await flags.ready();
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        obj: { file, flags: ['recomendation-v2'] },
        msg: 'flags file sets flags that are not declared',
      },
    ]);
    expect(flags.isEnabled('recommendation-v2')).toBe(false);
  });

  it('applies an edit of the file without a restart', async () => {
    const { flags, write, logger } = await offline({ 'maintenance-mode': false });
    await flags.ready();
    expect(flags.isEnabled('maintenance-mode')).toBe(false);

    await write({ 'maintenance-mode': true });
    await vi.waitFor(() => expect(flags.isEnabled('maintenance-mode')).toBe(true), {
      timeout: 3000,
      interval: 10,
    });
    expect(logger.lines.filter((line) => line.msg === 'flags file reloaded')).toHaveLength(1);

    await write({ 'maintenance-mode': false, 'new-onboarding': false });
    await vi.waitFor(() => expect(flags.isEnabled('new-onboarding')).toBe(false), {
      timeout: 3000,
      interval: 10,
    });
    expect(flags.isEnabled('maintenance-mode')).toBe(false);
  });

  it('does not reload when watchIntervalMs is 0', async () => {
    const { flags, write } = await offline({ 'maintenance-mode': false }, 0);
    await flags.ready();
    await write({ 'maintenance-mode': true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(flags.isEnabled('maintenance-mode')).toBe(false);
  });

  it('fails ready() with an error naming the file when the JSON is invalid', async () => {
    const { flags, file } = await offline('{ "maintenance-mode": tru }');
    const err = await rejection(flags);
    expect(err.code).toBe('FLAGS_FILE_INVALID');
    expect(err.message).toContain(file);
    expect(err.message).toContain('not valid JSON');
    expect(flags.isReady()).toBe(false);
    expect(flags.isEnabled('new-onboarding')).toBe(true);
    // a second call gives the same answer instead of hanging
    expect((await rejection(flags)).code).toBe('FLAGS_FILE_INVALID');
  });

  it('fails ready() naming the file and the flag when an entry is invalid', async () => {
    const { flags, file } = await offline({ 'recommendation-v2': { rollout: 150 } });
    const err = await rejection(flags);
    expect(err.code).toBe('FLAGS_FILE_INVALID');
    expect(err.message).toBe(
      `flags file ${file}: "recommendation-v2".rollout must be a number from 0 to 100`,
    );
  });

  it('fails ready() naming the file when it does not exist', async () => {
    const { flags, file, remove } = await offline({});
    await remove();
    const err = await rejection(flags);
    expect(err.code).toBe('FLAGS_FILE_UNREADABLE');
    expect(err.message).toBe(`flags file ${file}: cannot be read (ENOENT)`);
  });

  it('keeps the last good values with a warning when a reload finds an invalid file', async () => {
    const { flags, write, logger, file } = await offline({ 'maintenance-mode': true });
    await flags.ready();
    expect(flags.isEnabled('maintenance-mode')).toBe(true);

    await write('{ "maintenance-mode": fals');
    await vi.waitFor(
      () =>
        expect(logger.lines.some((line) => line.msg?.includes('keeping the last good'))).toBe(true),
      { timeout: 3000, interval: 10 },
    );
    const warning = logger.lines.find((line) => line.msg?.includes('keeping the last good'));
    expect(warning?.level).toBe('warn');
    expect(warning?.obj.file).toBe(file);
    expect(warning?.obj.err).toMatchObject({ code: 'FLAGS_FILE_INVALID' });
    expect(flags.isEnabled('maintenance-mode')).toBe(true);

    await write({ 'maintenance-mode': false });
    await vi.waitFor(() => expect(flags.isEnabled('maintenance-mode')).toBe(false), {
      timeout: 3000,
      interval: 10,
    });
  });

  it('splits a 50% rollout roughly in half, with the same answer for the same user', async () => {
    const { flags } = await offline({
      'recommendation-v2': { rollout: 50, stickiness: 'userId' },
    });
    await flags.ready();
    const users = userIds(200);
    const first = users.map((userId) => flags.isEnabled('recommendation-v2', { userId }));
    const second = users.map((userId) => flags.isEnabled('recommendation-v2', { userId }));
    expect(second).toEqual(first);
    const on = first.filter(Boolean).length;
    expect(on).toBeGreaterThan(70);
    expect(on).toBeLessThan(130);
    // userId stickiness and no user: off
    expect(flags.isEnabled('recommendation-v2', {})).toBe(false);
  });

  it('evaluates against the context of an evaluator, read anew on each call', async () => {
    const { flags } = await offline({ 'recommendation-v2': { tenants: ['acme'] } });
    await flags.ready();
    let tenant = 'acme';
    const evaluator = flags.evaluator(() => ({ properties: { tenant } }));
    const { isEnabled } = evaluator;
    expect(evaluator.isEnabled('recommendation-v2')).toBe(true);
    expect(isEnabled('recommendation-v2')).toBe(true);
    expect(evaluator.context).toEqual({ properties: { tenant: 'acme' } });
    tenant = 'globex';
    expect(isEnabled('recommendation-v2')).toBe(false);
    expect(evaluator.context).toEqual({ properties: { tenant: 'globex' } });
    // A fixed context works the same way.
    expect(flags.evaluator({ properties: { tenant: 'acme' } }).isEnabled('recommendation-v2')).toBe(
      true,
    );
    expect(flags.evaluator({}).isEnabled('recommendation-v2')).toBe(false);
  });

  it('limits a flag to tenants through the tenant property', async () => {
    const { flags } = await offline({ 'recommendation-v2': { tenants: ['acme'] } });
    await flags.ready();
    expect(flags.isEnabled('recommendation-v2', { properties: { tenant: 'acme' } })).toBe(true);
    expect(flags.isEnabled('recommendation-v2', { properties: { tenant: 'globex' } })).toBe(false);
    expect(flags.isEnabled('recommendation-v2', {})).toBe(false);
  });

  it('turns a disabled object entry off whatever the rollout', async () => {
    const { flags } = await offline({ 'new-onboarding': { enabled: false, rollout: 100 } });
    await flags.ready();
    expect(flags.isEnabled('new-onboarding', { userId: 'u-1' })).toBe(false);
  });
});

describe('parseFlagsFile', () => {
  it('turns entries into flexibleRollout features', () => {
    const features = parseFlagsFile(
      JSON.stringify({ a: true, b: { rollout: 25, stickiness: 'userId', tenants: ['t1'] } }),
      'f.json',
    );
    expect(features.get('a')).toEqual({
      name: 'a',
      enabled: true,
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: '100', stickiness: 'default', groupId: 'a' },
          constraints: [],
        },
      ],
    });
    expect(features.get('b')?.strategies?.[0]).toEqual({
      name: 'flexibleRollout',
      parameters: { rollout: '25', stickiness: 'userId', groupId: 'b' },
      constraints: [{ contextName: 'tenant', operator: 'IN', inverted: false, values: ['t1'] }],
    });
  });

  it.each([
    ['[]', 'expected an object'],
    ['{"a": 1}', '"a" must be true, false or an object'],
    ['{"a": {"rollot": 5}}', '"a" has an unknown field "rollot"'],
    ['{"a": {"enabled": "yes"}}', '"a".enabled must be true or false'],
    ['{"a": {"tenants": "acme"}}', '"a".tenants must be an array of strings'],
    ['{"a": {"stickiness": ""}}', '"a".stickiness must be a context field name'],
  ])('rejects %s', (text, reason) => {
    expect(() => parseFlagsFile(text, 'dir/flags.json')).toThrow(
      expect.objectContaining({
        code: 'FLAGS_FILE_INVALID',
        message: expect.stringContaining(`flags file dir/flags.json: ${reason}`),
      }),
    );
  });
});
