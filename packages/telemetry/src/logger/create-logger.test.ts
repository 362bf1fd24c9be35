import { describe, expect, it } from 'vitest';
import { TelemetryError } from '../errors.js';
import { captureLines } from '../test/capture.js';
import { createLogger, DEFAULT_REDACT_PATHS } from './create-logger.js';

describe('createLogger', () => {
  it('writes JSON lines with ISO time, level names, pid, hostname and the base fields', () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ destination: stream, base: { service: 'where2eat' } });

    logger.info({ groupId: 'g-1' }, 'group created');

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'group created',
      groupId: 'g-1',
      service: 'where2eat',
      pid: process.pid,
      hostname: expect.any(String),
    });
    expect(new Date(lines[0]?.time as string).toISOString()).toBe(lines[0]?.time);
  });

  it('redacts authorization headers, cookies, tokens and secrets by default', () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ destination: stream });

    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc.def', cookie: 'sid=1', accept: 'json' } },
        res: { headers: { 'set-cookie': 'sid=2' } },
        headers: { authorization: 'Basic Zm9v' },
        token: 'tok-1',
        client: { client_secret: 's3cr3t', id: 'c1' },
        user: { password: 'hunter2', name: 'ada' },
      },
      'login',
    );

    const text = JSON.stringify(lines[0]);
    for (const secret of ['abc.def', 'sid=1', 'sid=2', 'Zm9v', 'tok-1', 's3cr3t', 'hunter2']) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[Redacted]', cookie: '[Redacted]', accept: 'json' } },
      token: '[Redacted]',
      client: { client_secret: '[Redacted]', id: 'c1' },
      user: { password: '[Redacted]', name: 'ada' },
    });
    expect(DEFAULT_REDACT_PATHS).toContain('req.headers.authorization');
  });

  it('redacts extra paths on top of the defaults', () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ destination: stream, redact: ['member.email'] });

    logger.info({ member: { email: 'ada@example.com', id: 'm1' }, token: 't' }, 'joined');

    expect(lines[0]).toMatchObject({
      member: { email: '[Redacted]', id: 'm1' },
      token: '[Redacted]',
    });
  });

  it('drops lines below the level and writes nothing when silent', () => {
    const { stream, lines } = captureLines();
    const warnOnly = createLogger({ destination: stream, level: 'warn' });
    warnOnly.info('hidden');
    warnOnly.warn('shown');
    createLogger({ destination: stream, level: 'silent' }).error('hidden too');

    expect(lines.map((line) => line.msg)).toEqual(['shown']);
    expect(lines[0]?.level).toBe('warn');
  });

  it('serializes errors under err with type, message and stack', () => {
    const { stream, lines } = captureLines();
    createLogger({ destination: stream }).error({ err: new RangeError('bad') }, 'failed');

    expect(lines[0]).toMatchObject({ err: { type: 'RangeError', message: 'bad' } });
    expect(lines[0]?.err).toHaveProperty('stack');
  });

  it('rejects bad options at once', () => {
    const { stream } = captureLines();
    expect(() => createLogger({ level: 'loud' as 'info' })).toThrow(TelemetryError);
    expect(() => createLogger({ redact: [''] })).toThrow(/redact/);
    expect(() => createLogger({ pretty: true, destination: stream })).toThrow(
      expect.objectContaining({ code: 'TELEMETRY_INVALID_OPTIONS' }),
    );
  });
});
