import { codeForStatus, Where2eatClientError } from './errors.js';
import type {
  AcceptedInvite,
  CallOptions,
  CreatedInvite,
  Cuisine,
  Group,
  GroupList,
  Invite,
  Member,
  Problem,
  Recommendation,
  Where2eatClient,
  Where2eatClientOptions,
} from './types.js';

/** Default of {@link Where2eatClientOptions.timeoutMs}. */
export const DEFAULT_TIMEOUT_MS = 10_000;

// AbortSignal.timeout takes a 32-bit delay.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, number | undefined> | undefined;
  body?: unknown;
  idempotencyKey?: string | undefined;
  signal?: AbortSignal | undefined;
}

function invalidOptions(message: string): never {
  throw new Where2eatClientError('invalid_options', message);
}

function parseBaseUrl(value: unknown): string {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    invalidOptions('baseUrl must be a URL string or a URL');
  }
  const url = URL.parse(String(value));
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    invalidOptions(`baseUrl must be an http(s) URL, got ${JSON.stringify(String(value))}`);
  }
  if (url.search || url.hash) invalidOptions('baseUrl must not have a query or a fragment');
  // Keep a path prefix (an API behind `/where2eat`), without its trailing slash.
  return url.href.replace(/\/+$/, '');
}

/** A path segment from an id; an empty id would silently address another route. */
function segment(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Where2eatClientError('invalid_argument', `${name} must be a non-empty string`);
  }
  return encodeURIComponent(value);
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const { type, title } = value as Record<string, unknown>;
  return typeof type === 'string' && typeof title === 'string';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function retryAfter(res: Response): number | undefined {
  const value = res.headers.get('retry-after');
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * Creates a typed client for the where2eat API. Uses `fetch` (global by default), so it runs in
 * Node 22+, browsers, workers and edge runtimes. Nothing happens until a method is called.
 *
 * @param options.baseUrl - where the API is served, e.g. `https://where2eat.example.com`
 * @param options.getToken - returns the bearer token for each call (cache it yourself, e.g. with
 *   `clientCredentials()` of `@micro-app/auth`); `''` sends no `Authorization`
 * @param [options.fetch=globalThis.fetch] - the `fetch` to call
 * @param [options.timeoutMs=10000] - longest wait for one call
 * @throws {Where2eatClientError} code `invalid_options` for bad options
 * @example
 * const where2eat = createWhere2eatClient({
 *   baseUrl: 'https://where2eat.example.com',
 *   getToken: () => session.accessToken,
 * });
 * const group = await where2eat.createGroup({ name: 'Friday lunch' }, { idempotencyKey: crypto.randomUUID() });
 */
export function createWhere2eatClient(options: Where2eatClientOptions): Where2eatClient {
  if (typeof options !== 'object' || options === null) invalidOptions('options are required');
  const { getToken, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const baseUrl = parseBaseUrl(options.baseUrl);
  if (typeof getToken !== 'function') invalidOptions('getToken must be a function');
  const fetchFn = options.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== 'function') invalidOptions('fetch must be a function (no global fetch)');
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    invalidOptions(`timeoutMs must be a number from 1 to ${MAX_TIMEOUT_MS}, got ${timeoutMs}`);
  }

  async function token(): Promise<string> {
    let value: unknown;
    try {
      value = await getToken();
    } catch (err) {
      throw new Where2eatClientError('token_unavailable', 'getToken failed', { cause: err });
    }
    if (typeof value !== 'string') {
      throw new Where2eatClientError('token_unavailable', 'getToken must return a string');
    }
    return value;
  }

  /** Sends one request and returns the answer's body text; any failure becomes a client error. */
  async function send(spec: RequestSpec): Promise<{ res: Response; text: string }> {
    const { method, path } = spec;
    const headers = new Headers({ Accept: 'application/json, application/problem+json' });
    const bearer = await token();
    if (bearer) headers.set('Authorization', `Bearer ${bearer}`);
    if (spec.body !== undefined) headers.set('Content-Type', 'application/json');
    if (spec.idempotencyKey !== undefined) headers.set('Idempotency-Key', spec.idempotencyKey);

    const url = new URL(baseUrl + path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    const what = `${method} ${path}`;
    try {
      const res = await fetchFn(url, {
        method,
        headers,
        signal,
        ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
      });
      return { res, text: await res.text() };
    } catch (err) {
      if (spec.signal?.aborted) {
        throw new Where2eatClientError('aborted', `${what} was aborted`, { cause: err });
      }
      if (timeout.aborted) {
        throw new Where2eatClientError('timeout', `${what} took longer than ${timeoutMs} ms`, {
          cause: err,
        });
      }
      throw new Where2eatClientError('network_error', `${what} failed: ${String(err)}`, {
        cause: err,
      });
    }
  }

  async function request(spec: RequestSpec, expect: 'json'): Promise<unknown>;
  async function request(spec: RequestSpec, expect: 'empty'): Promise<void>;
  async function request(spec: RequestSpec, expect: 'json' | 'empty'): Promise<unknown> {
    const { res, text } = await send(spec);
    const what = `${spec.method} ${spec.path}`;
    const contentType = res.headers.get('content-type') ?? '';
    if (!res.ok) {
      const body = contentType.includes('json') ? parseJson(text) : undefined;
      const problem = isProblem(body) ? body : undefined;
      const reason = problem
        ? `${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`
        : '';
      const retryAfterSeconds = retryAfter(res);
      throw new Where2eatClientError(
        codeForStatus(res.status),
        `${what} answered ${res.status}${reason ? ` ${reason}` : ''}`,
        {
          status: res.status,
          ...(problem ? { problem } : {}),
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        },
      );
    }
    if (expect === 'empty') return undefined;
    const body = contentType.includes('json') ? parseJson(text) : undefined;
    if (typeof body !== 'object' || body === null) {
      throw new Where2eatClientError(
        'invalid_response',
        `${what} answered ${res.status} without a JSON object (content-type ${JSON.stringify(contentType)})`,
        { status: res.status },
      );
    }
    return body;
  }

  const groupPath = (groupId: string) => `/v1/groups/${segment(groupId, 'groupId')}`;
  const memberPath = (groupId: string, memberId: string) =>
    `${groupPath(groupId)}/members/${segment(memberId, 'memberId')}`;

  return {
    async listCuisines(options: CallOptions = {}) {
      const body = (await request(
        { method: 'GET', path: '/v1/cuisines', signal: options.signal },
        'json',
      )) as { items?: unknown };
      if (!Array.isArray(body.items)) {
        throw new Where2eatClientError(
          'invalid_response',
          'GET /v1/cuisines answered without an items array',
          { status: 200 },
        );
      }
      return body.items as Cuisine[];
    },

    async createGroup(input, options = {}) {
      return (await request(
        {
          method: 'POST',
          path: '/v1/groups',
          body: { name: input.name },
          idempotencyKey: options.idempotencyKey,
          signal: options.signal,
        },
        'json',
      )) as Group;
    },

    async listGroups(page = {}, options = {}) {
      return (await request(
        {
          method: 'GET',
          path: '/v1/groups',
          query: { limit: page.limit, offset: page.offset },
          signal: options.signal,
        },
        'json',
      )) as GroupList;
    },

    async getGroup(groupId, options = {}) {
      return (await request(
        { method: 'GET', path: groupPath(groupId), signal: options.signal },
        'json',
      )) as Group;
    },

    async renameGroup(groupId, name, options = {}) {
      return (await request(
        { method: 'PATCH', path: groupPath(groupId), body: { name }, signal: options.signal },
        'json',
      )) as Group;
    },

    async deleteGroup(groupId, options = {}) {
      await request(
        { method: 'DELETE', path: groupPath(groupId), signal: options.signal },
        'empty',
      );
    },

    async addMember(groupId, input, options = {}) {
      return (await request(
        {
          method: 'POST',
          path: `${groupPath(groupId)}/members`,
          // Omitted userSub (the caller joins) and null (a guest) mean different things.
          body: {
            name: input.name,
            ...(input.userSub === undefined ? {} : { userSub: input.userSub }),
          },
          idempotencyKey: options.idempotencyKey,
          signal: options.signal,
        },
        'json',
      )) as Member;
    },

    async removeMember(groupId, memberId, options = {}) {
      await request(
        { method: 'DELETE', path: memberPath(groupId, memberId), signal: options.signal },
        'empty',
      );
    },

    async setPreferences(groupId, memberId, preferences, options = {}) {
      return (await request(
        {
          method: 'PUT',
          path: `${memberPath(groupId, memberId)}/preferences`,
          body: { likes: preferences.likes, vetoes: preferences.vetoes },
          signal: options.signal,
        },
        'json',
      )) as Member;
    },

    async getRecommendation(groupId, options = {}) {
      return (await request(
        { method: 'GET', path: `${groupPath(groupId)}/recommendation`, signal: options.signal },
        'json',
      )) as Recommendation;
    },

    async createInvite(groupId, input = {}, options = {}) {
      return (await request(
        {
          method: 'POST',
          path: `${groupPath(groupId)}/invites`,
          body: input.expiresInHours === undefined ? {} : { expiresInHours: input.expiresInHours },
          signal: options.signal,
        },
        'json',
      )) as CreatedInvite;
    },

    async listInvites(groupId, options = {}) {
      const body = (await request(
        { method: 'GET', path: `${groupPath(groupId)}/invites`, signal: options.signal },
        'json',
      )) as { items?: unknown };
      if (!Array.isArray(body.items)) {
        throw new Where2eatClientError(
          'invalid_response',
          'GET /v1/groups/{groupId}/invites answered without an items array',
          { status: 200 },
        );
      }
      return body.items as Invite[];
    },

    async revokeInvite(groupId, inviteId, options = {}) {
      await request(
        {
          method: 'DELETE',
          path: `${groupPath(groupId)}/invites/${segment(inviteId, 'inviteId')}`,
          signal: options.signal,
        },
        'empty',
      );
    },

    async acceptInvite(input, options = {}) {
      return (await request(
        {
          method: 'POST',
          path: '/v1/invites/accept',
          body: { token: input.token, name: input.name },
          signal: options.signal,
        },
        'json',
      )) as AcceptedInvite;
    },
  };
}
