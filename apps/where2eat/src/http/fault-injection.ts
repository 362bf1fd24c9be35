import { HttpProblem } from '@micro-app/server';
import type { MiddlewareHandler } from 'hono';

export interface FaultInjectionOptions {
  /** Share of requests answered 500, from 0 to 1. Default: 0. */
  errorRate?: number | undefined;
  /** Delay added before each request is handled, in milliseconds. Default: 0. */
  latencyMs?: number | undefined;
  /** Source of randomness in [0, 1) that picks the failing requests. Default: `Math.random`. */
  random?: () => number;
}

/** Whether these options inject anything (unset and zero inject nothing). */
export function injectsFaults(options: FaultInjectionOptions | undefined): boolean {
  return (options?.errorRate ?? 0) > 0 || (options?.latencyMs ?? 0) > 0;
}

/**
 * Makes this instance a broken release on purpose: delays each request by `latencyMs`, then
 * answers a share `errorRate` of them with a 500 problem. The canary drill starts a canary with
 * it to prove the analysis rolls back; config.ts refuses it in production.
 *
 * @param [options.errorRate=0] share of requests answered 500
 * @param [options.latencyMs=0] delay added to every request
 * @param [options.random=Math.random] picks the failing requests
 * @throws {RangeError} when `errorRate` is not in 0..1 or `latencyMs` is negative or not finite
 * @example
 * app.use('/v1/*', faultInjection({ errorRate: 0.2, latencyMs: 400 }));
 */
export function faultInjection(options: FaultInjectionOptions = {}): MiddlewareHandler {
  const { errorRate = 0, latencyMs = 0, random = Math.random } = options;
  if (!(errorRate >= 0 && errorRate <= 1)) {
    throw new RangeError(`faultInjection: errorRate must be between 0 and 1, got ${errorRate}`);
  }
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new RangeError(`faultInjection: latencyMs must be 0 or more, got ${latencyMs}`);
  }
  return async function injectFaults(_c, next) {
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (errorRate > 0 && random() < errorRate) {
      throw new HttpProblem({
        status: 500,
        slug: 'internal-error',
        title: 'Internal server error',
        detail: 'Injected fault (FAULT_INJECTION_ERROR_RATE).',
      });
    }
    await next();
  };
}
