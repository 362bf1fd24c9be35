import type { AuthLogger } from './types.js';

function line(level: string, obj: object, msg?: string): string {
  return JSON.stringify({ level, time: Date.now(), ...obj, ...(msg ? { msg } : {}) });
}

/**
 * The logger used when none is given: one JSON line per call on stderr. Pass your app's pino
 * logger instead so audit lines reach the same pipeline as everything else.
 */
export const stderrLogger: AuthLogger = {
  info: (obj, msg) => console.error(line('info', obj, msg)),
  warn: (obj, msg) => console.error(line('warn', obj, msg)),
  error: (obj, msg) => console.error(line('error', obj, msg)),
};

/** True when `value` has the three methods this package calls. */
export function isAuthLogger(value: unknown): value is AuthLogger {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.info === 'function' &&
    typeof candidate.warn === 'function' &&
    typeof candidate.error === 'function'
  );
}
