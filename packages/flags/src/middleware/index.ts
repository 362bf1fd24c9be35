import type { MiddlewareHandler } from 'hono';
import { type FlagContextResolver, requestFlagContext } from '../context.js';
import { FlagsError } from '../errors.js';
import type { Flags } from '../flags.js';
import type { FlagEvaluator } from '../types.js';

/** Variables {@link flagsMiddleware} sets: `c.var.flags`. */
export interface FlagsVariables<N extends string = string> {
  flags: FlagEvaluator<N>;
}

/** Options of {@link flagsMiddleware}. */
export interface FlagsMiddlewareOptions {
  /**
   * Adds context fields from the request (e.g. `remoteAddress`), merged over the defaults
   * (`userId`, `sessionId`, `properties.tenant`). Default: none.
   */
  context?: FlagContextResolver;
}

/**
 * Puts a flag evaluator on the context: `c.var.flags.isEnabled('recommendation-v2')`. The
 * Unleash context comes from the request when a flag is evaluated, so the middleware may run
 * before or after authentication: `userId` = `c.var.principal?.sub`, property `tenant` =
 * `c.var.principal?.tenant`, `sessionId` = `c.var.requestId`. Gradual rollouts with `userId`
 * (or `default`) stickiness therefore give each user the same answer on every request.
 *
 * @param flags - the client from `createFlags`
 * @param [options.context] - extra context fields from the request
 * @throws {FlagsError} `FLAGS_INVALID_OPTIONS` when `flags` is not a flags client
 * @example
 * const app = new Hono<{ Variables: FlagsVariables<FlagName<typeof flagRegistry>> }>();
 * app.use(flagsMiddleware(flags));
 * app.get('/r', (c) => c.json({ v2: c.var.flags.isEnabled('recommendation-v2') }));
 */
export function flagsMiddleware<N extends string>(
  flags: Flags<N>,
  options: FlagsMiddlewareOptions = {},
): MiddlewareHandler<{ Variables: FlagsVariables<N> }> {
  if (typeof flags?.evaluator !== 'function') {
    throw new FlagsError(
      'FLAGS_INVALID_OPTIONS',
      'flagsMiddleware(flags): flags must come from createFlags()',
    );
  }
  if (options.context !== undefined && typeof options.context !== 'function') {
    throw new FlagsError(
      'FLAGS_INVALID_OPTIONS',
      'flagsMiddleware: options.context must be a function',
    );
  }
  const extra = options.context;
  return async function flagsContext(c, next) {
    c.set(
      'flags',
      flags.evaluator(() => requestFlagContext(c, extra)),
    );
    await next();
  };
}
