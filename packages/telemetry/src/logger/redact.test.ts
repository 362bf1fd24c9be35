import { describe, expect, it } from 'vitest';
import { TelemetryError } from '../errors.js';
import { DEFAULT_REDACT_PATHS } from './create-logger.js';
import { compileRedaction, parseRedactPath } from './redact.js';

describe('parseRedactPath', () => {
  it('reads dots, quoted and numeric brackets and wildcards', () => {
    expect(parseRedactPath('req.headers.authorization')).toEqual([
      'req',
      'headers',
      'authorization',
    ]);
    expect(parseRedactPath('headers["set-cookie"]')).toEqual(['headers', 'set-cookie']);
    expect(parseRedactPath("a['b c'][0]")).toEqual(['a', 'b c', '0']);
    expect(parseRedactPath('*.password')).toEqual(['*', 'password']);
    expect(parseRedactPath('items[*].token')).toEqual(['items', '*', 'token']);
  });

  it('parses every default path', () => {
    for (const path of DEFAULT_REDACT_PATHS)
      expect(parseRedactPath(path).length).toBeGreaterThan(0);
  });

  it('rejects what is not a path with TELEMETRY_INVALID_OPTIONS', () => {
    for (const bad of ['', 'a..b', 'a[', 'a["b]', '.a', 'a b']) {
      expect(() => parseRedactPath(bad), bad).toThrow(TelemetryError);
    }
  });
});

describe('compileRedaction', () => {
  const redact = compileRedaction(
    [
      'token',
      '*.password',
      'headers["set-cookie"]',
      'req.headers.authorization',
      'items[*].secret',
    ],
    '[Redacted]',
  );

  it('censors top-level, wildcard, bracketed, nested and array paths', () => {
    expect(
      redact({
        token: 't',
        user: { name: 'ada', password: 'p' },
        headers: { 'set-cookie': 'sid=1', accept: 'json' },
        req: { headers: { authorization: 'Bearer x', host: 'h' } },
        items: [{ secret: 's', id: 1 }, { id: 2 }],
      }),
    ).toEqual({
      token: '[Redacted]',
      user: { name: 'ada', password: '[Redacted]' },
      headers: { 'set-cookie': '[Redacted]', accept: 'json' },
      req: { headers: { authorization: '[Redacted]', host: 'h' } },
      items: [{ secret: '[Redacted]', id: 1 }, { id: 2 }],
    });
  });

  it('returns the same object when nothing matches and never changes the input', () => {
    const clean = { method: 'GET', status: 200, nested: { ok: true } };
    expect(redact(clean)).toBe(clean);

    const input = { user: { password: 'p', name: 'ada' }, other: { keep: 1 } };
    const output = redact(input);
    expect(input.user.password).toBe('p');
    expect(output.user).not.toBe(input.user);
    // Objects off the censored paths are shared, not copied.
    expect(output.other).toBe(input.other);
  });

  it('keeps an Error an Error (message and stack) when censoring inside it', () => {
    const err = Object.assign(new Error('boom'), { password: 'p' });
    const output = redact({ err }) as { err: Error & { password: string } };
    expect(output.err).toBeInstanceOf(Error);
    expect(output.err.message).toBe('boom');
    expect(output.err.stack).toBe(err.stack);
    expect(output.err.password).toBe('[Redacted]');
    expect(err.password).toBe('p');
  });

  it('leaves undefined and primitive values on the way alone', () => {
    expect(redact({ token: undefined, user: 'ada', req: null })).toEqual({
      token: undefined,
      user: 'ada',
      req: null,
    });
  });
});
