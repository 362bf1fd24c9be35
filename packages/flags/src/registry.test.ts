import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { FlagsError } from './errors.js';
import { createFlags } from './flags.js';
import { killSwitch } from './kill-switch/index.js';
import { type FlagsVariables, flagsMiddleware } from './middleware/index.js';
import { defineFlags } from './registry.js';
import type { FlagName } from './types.js';

const registry = defineFlags({
  'recommendation-v2': {
    description: 'Rank restaurants with the v2 algorithm',
    owner: 'team-dining',
    default: false,
  },
  'maintenance-mode': {
    description: 'Refuse writes while the database is migrated',
    owner: 'team-platform',
    default: false,
  },
  'new-onboarding': { description: 'New onboarding flow', owner: 'team-growth', default: true },
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FlagsError);
    return (err as FlagsError).code;
  }
  return undefined;
}

describe('defineFlags', () => {
  it('returns the definitions frozen and keyed by name', () => {
    expect(Object.keys(registry)).toEqual([
      'recommendation-v2',
      'maintenance-mode',
      'new-onboarding',
    ]);
    expect(registry['recommendation-v2']).toEqual({
      description: 'Rank restaurants with the v2 algorithm',
      owner: 'team-dining',
      default: false,
    });
    expect(Object.isFrozen(registry)).toBe(true);
    expect(Object.isFrozen(registry['maintenance-mode'])).toBe(true);
  });

  it('rejects a name Unleash would not accept', () => {
    const err = (() => {
      try {
        defineFlags({ 'has space': { description: 'd', owner: 'o', default: false } });
      } catch (e) {
        return e as FlagsError;
      }
    })();
    expect(err?.code).toBe('FLAGS_INVALID_DEFINITION');
    expect(err?.message).toContain('flag "has space"');
  });

  it('rejects an empty owner, an empty description and a non-boolean default', () => {
    expect(codeOf(() => defineFlags({ a: { description: 'd', owner: ' ', default: false } }))).toBe(
      'FLAGS_INVALID_DEFINITION',
    );
    expect(codeOf(() => defineFlags({ a: { description: '', owner: 'o', default: false } }))).toBe(
      'FLAGS_INVALID_DEFINITION',
    );
    expect(
      codeOf(() =>
        defineFlags({ a: { description: 'd', owner: 'o', default: 'no' as unknown as boolean } }),
      ),
    ).toBe('FLAGS_INVALID_DEFINITION');
  });
});

describe('createFlags without a source', () => {
  it('serves the declared defaults and is ready at once', async () => {
    const flags = createFlags(registry);
    expect(flags.source).toBe('defaults');
    await expect(flags.ready()).resolves.toEqual({ source: 'defaults', ready: true });
    expect(flags.isEnabled('recommendation-v2')).toBe(false);
    expect(flags.isEnabled('new-onboarding', { userId: 'u-1' })).toBe(true);
    expect(flags.evaluator({ userId: 'u-2' }).isEnabled('new-onboarding')).toBe(true);
    await flags.close();
  });

  it('throws FLAGS_UNDECLARED_FLAG when the types are bypassed', () => {
    const flags = createFlags(registry);
    const untyped = flags as unknown as { isEnabled(name: string): boolean };
    expect(codeOf(() => untyped.isEnabled('recommendation-v3'))).toBe('FLAGS_UNDECLARED_FLAG');
    // inherited object keys are not flags either
    expect(codeOf(() => untyped.isEnabled('toString'))).toBe('FLAGS_UNDECLARED_FLAG');
  });

  it('validates its options at once', () => {
    const unleash = { url: 'http://127.0.0.1:4242/api', apiToken: 't', appName: 'a' };
    expect(codeOf(() => createFlags(registry, { unleash, file: 'flags.json' }))).toBe(
      'FLAGS_INVALID_OPTIONS',
    );
    expect(
      codeOf(() => createFlags(registry, { unleash: { ...unleash, url: 'localhost:4242' } })),
    ).toBe('FLAGS_INVALID_OPTIONS');
    expect(codeOf(() => createFlags(registry, { unleash: { ...unleash, apiToken: '' } }))).toBe(
      'FLAGS_INVALID_OPTIONS',
    );
    expect(
      codeOf(() => createFlags(registry, { unleash: { ...unleash, refreshIntervalMs: 0 } })),
    ).toBe('FLAGS_INVALID_OPTIONS');
    expect(
      codeOf(() => createFlags(registry, { unleash: { ...unleash, requestTimeoutMs: 999 } })),
    ).toBe('FLAGS_INVALID_OPTIONS');
    expect(codeOf(() => createFlags(registry, { file: 'f.json', watchIntervalMs: -1 }))).toBe(
      'FLAGS_INVALID_OPTIONS',
    );
    expect(codeOf(() => createFlags(registry, { unleash }))).toBeUndefined();
  });
});

describe('flag names are checked by the compiler', () => {
  it('accepts declared names and rejects undeclared ones (tsc checks the @ts-expect-error lines)', async () => {
    const flags = createFlags(registry);
    type Name = FlagName<typeof registry>;
    const names: Name[] = ['recommendation-v2', 'maintenance-mode', 'new-onboarding'];
    expect(names.map((name) => flags.isEnabled(name))).toEqual([false, false, true]);

    // @ts-expect-error 'recommendation-v3' is not declared
    expect(() => flags.isEnabled('recommendation-v3')).toThrow(FlagsError);
    // @ts-expect-error undeclared names are errors on the evaluator too
    expect(() => flags.evaluator({}).isEnabled('maintenance')).toThrow(FlagsError);
    // @ts-expect-error and for the kill switch
    expect(() => killSwitch(flags, 'maintenance')).toThrow(FlagsError);

    const app = new Hono<{ Variables: FlagsVariables<Name> }>();
    app.use(flagsMiddleware(flags));
    app.get('/', (c) => {
      // @ts-expect-error c.var.flags only knows declared names
      const undeclared = () => c.var.flags.isEnabled('recommendation-v1');
      expect(undeclared).toThrow(FlagsError);
      return c.json({ v2: c.var.flags.isEnabled('recommendation-v2') });
    });
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ v2: false });
  });
});
