import type { Context } from 'hono';

/** Media type of RFC 9457 problem details. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem `type` of a request rejected by a rate-limit policy. */
export const RATE_LIMITED_TYPE = 'urn:problem-type:rate-limited';
/** Problem `type` of a request rejected because a quota is used up. */
export const QUOTA_EXHAUSTED_TYPE = 'urn:problem-type:quota-exhausted';
/** Problem `type` of a request rejected because the store failed and the policy is fail-closed. */
export const RATE_LIMIT_UNAVAILABLE_TYPE = 'urn:problem-type:rate-limit-unavailable';

interface Problem {
  type: string;
  title: string;
  status: 429 | 503;
  detail: string;
  [extension: string]: unknown;
}

/** Renders an RFC 9457 body with the request id when the app sets `requestId`. */
export function problemResponse(
  // biome-ignore lint/suspicious/noExplicitAny: works with any app's Env
  c: Context<any>,
  problem: Problem,
  headers: Record<string, string>,
): Response {
  const requestId = c.get('requestId') as unknown;
  const body = {
    ...problem,
    instance: c.req.path,
    ...(typeof requestId === 'string' ? { requestId } : {}),
  };
  return c.body(JSON.stringify(body), problem.status, {
    ...headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
  });
}
