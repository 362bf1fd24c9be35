import { problemResponse, problemType } from '@micro-app/problem';
import type { MiddlewareHandler } from 'hono';
import { type FlagContextResolver, requestFlagContext } from '../context.js';
import { FlagsError } from '../errors.js';
import type { Flags } from '../flags.js';
import type { FlagEvaluator } from '../types.js';

/** Options of {@link killSwitch}. */
export interface KillSwitchOptions {
  /** HTTP methods that are refused while the flag is on. Default `['POST', 'PUT', 'PATCH', 'DELETE']`. */
  methods?: readonly string[];
  /** Value of the `Retry-After` header, in seconds. Default 120. */
  retryAfterSeconds?: number;
  /** `title` of the problem body. Default `'Service under maintenance'`. */
  title?: string;
  /** `detail` of the problem body. Default: writes are paused, reads still work. */
  detail?: string;
  /** Extra context fields when `c.var.flags` is not set (see `flagsMiddleware`). Default: none. */
  context?: FlagContextResolver;
}

/** Problem `type` of the kill switch's answer. */
export const MAINTENANCE_PROBLEM_TYPE = problemType('maintenance');

const DEFAULT_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
const METHOD = /^[A-Z]+$/;

/**
 * Kill switch: while the flag is on, requests with one of `methods` get `503` with an
 * `application/problem+json` body (`type: urn:problem-type:maintenance`) and `Retry-After`;
 * every other request goes through. Evaluated per request, so flipping the flag in Unleash (or
 * in the bootstrap file) takes effect within the refresh interval, without a deploy.
 *
 * @param flags - the client from `createFlags`
 * @param flag - the declared flag that turns the switch on (its default should be `false`)
 * @param [options.methods=['POST','PUT','PATCH','DELETE']] - methods refused while on
 * @param [options.retryAfterSeconds=120] - `Retry-After` value
 * @throws {FlagsError} `FLAGS_UNDECLARED_FLAG` / `FLAGS_INVALID_OPTIONS` at once
 * @example
 * app.use('/api/*', killSwitch(flags, 'maintenance-mode'));
 */
export function killSwitch<N extends string>(
  flags: Flags<N>,
  flag: N,
  options: KillSwitchOptions = {},
): MiddlewareHandler {
  if (typeof flags?.isEnabled !== 'function' || typeof flags.definitions !== 'object') {
    throw new FlagsError(
      'FLAGS_INVALID_OPTIONS',
      'killSwitch(flags, …): flags must come from createFlags()',
    );
  }
  if (!Object.hasOwn(flags.definitions, flag)) {
    throw new FlagsError(
      'FLAGS_UNDECLARED_FLAG',
      `killSwitch: flag "${flag}" is not declared in the registry`,
    );
  }
  const methods = new Set(
    (options.methods ?? DEFAULT_METHODS).map((method) => method.toUpperCase()),
  );
  if (methods.size === 0 || [...methods].some((method) => !METHOD.test(method))) {
    throw new FlagsError(
      'FLAGS_INVALID_OPTIONS',
      'killSwitch: options.methods must be a non-empty list of HTTP methods',
    );
  }
  const retryAfterSeconds = options.retryAfterSeconds ?? 120;
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
    throw new FlagsError(
      'FLAGS_INVALID_OPTIONS',
      'killSwitch: options.retryAfterSeconds must be an integer >= 0',
    );
  }
  const title = options.title ?? 'Service under maintenance';
  const detail =
    options.detail ?? 'Changes are paused for maintenance; reading still works. Retry later.';
  const extra = options.context;

  return async function maintenanceKillSwitch(c, next) {
    if (!methods.has(c.req.method)) return next();
    const evaluator = c.get('flags') as FlagEvaluator<N> | undefined;
    const on =
      evaluator && typeof evaluator.isEnabled === 'function'
        ? evaluator.isEnabled(flag)
        : flags.isEnabled(flag, requestFlagContext(c, extra));
    if (!on) return next();
    return problemResponse(
      c,
      { type: MAINTENANCE_PROBLEM_TYPE, title, status: 503, detail },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  };
}
