import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWhere2eatClient } from './client.js';
import { codeForStatus, Where2eatClientError } from './errors.js';
import type { Where2eatClientOptions } from './types.js';

// Behaviour the contract tests do not pin down (options, transport failures, odd answers),
// against a real HTTP server on a random port.

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[];

const reply =
  (status: number, body: string, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, headers).end(body);
  };
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  reply(status, JSON.stringify(body), { 'Content-Type': 'application/json', ...headers });
const problem = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  reply(status, JSON.stringify(body), { 'Content-Type': 'application/problem+json', ...headers });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
  handler = json(200, { items: ['thai'] });
});

const client = (options: Partial<Where2eatClientOptions> = {}) =>
  createWhere2eatClient({ baseUrl, getToken: () => 'token-1', ...options });

/** The rejection of a call, asserting it is a Where2eatClientError. */
async function failure(call: Promise<unknown>): Promise<Where2eatClientError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Where2eatClientError);
  return err as Where2eatClientError;
}

describe('options', () => {
  it.each([
    ['a missing baseUrl', { baseUrl: undefined }, /baseUrl must be a URL/],
    ['a relative baseUrl', { baseUrl: '/api' }, /http\(s\) URL/],
    ['a non-http baseUrl', { baseUrl: 'ftp://example.com' }, /http\(s\) URL/],
    ['a baseUrl with a query', { baseUrl: 'https://example.com/?a=1' }, /query or a fragment/],
    ['a getToken that is not a function', { getToken: 'token' }, /getToken must be a function/],
    ['a zero timeout', { timeoutMs: 0 }, /timeoutMs must be a number/],
    ['a NaN timeout', { timeoutMs: Number.NaN }, /timeoutMs must be a number/],
    ['a fetch that is not a function', { fetch: 'fetch' }, /fetch must be a function/],
  ])('rejects %s when the client is created', (_name, override, message) => {
    const create = () =>
      createWhere2eatClient({
        baseUrl: 'https://example.com',
        getToken: () => 't',
        ...(override as object),
      } as Where2eatClientOptions);
    expect(create).toThrow(Where2eatClientError);
    expect(create).toThrow(message);
    try {
      create();
    } catch (err) {
      expect((err as Where2eatClientError).code).toBe('invalid_options');
      expect((err as Error).name).toBe('Where2eatClientError');
    }
  });

  it('keeps a path prefix of baseUrl, with or without a trailing slash', async () => {
    await client({ baseUrl: `${baseUrl}/where2eat/` }).listCuisines();
    await client({ baseUrl: new URL(`${baseUrl}/where2eat`) }).listCuisines();
    expect(seen.map((s) => s.url)).toEqual(['/where2eat/v1/cuisines', '/where2eat/v1/cuisines']);
  });

  it('calls the injected fetch', async () => {
    const urls: string[] = [];
    const recording: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    expect(await client({ fetch: recording }).listCuisines()).toEqual(['thai']);
    expect(urls).toEqual([`${baseUrl}/v1/cuisines`]);
  });
});

describe('requests', () => {
  it('asks getToken on every call and sends the token as a bearer token', async () => {
    let n = 0;
    const where2eat = client({ getToken: async () => `token-${++n}` });
    await where2eat.listCuisines();
    await where2eat.listCuisines();
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(seen[0]?.headers.accept).toBe('application/json, application/problem+json');
  });

  it('sends no Authorization header when getToken returns an empty string', async () => {
    handler = problem(401, { type: 'urn:problem-type:unauthorized', title: 'Unauthorized' });
    const err = await failure(client({ getToken: () => '' }).listGroups());
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(err).toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('fails with token_unavailable, without a request, when getToken throws', async () => {
    const cause = new Error('refresh token expired');
    const err = await failure(
      client({
        getToken: () => {
          throw cause;
        },
      }).listCuisines(),
    );
    expect(err.code).toBe('token_unavailable');
    expect(err.cause).toBe(cause);
    expect(seen).toEqual([]);
  });

  it('fails with invalid_argument, without a request, for an empty id', async () => {
    expect((await failure(client().getGroup(''))).code).toBe('invalid_argument');
    expect((await failure(client().removeMember('g', ''))).message).toMatch(/memberId/);
    expect(seen).toEqual([]);
  });

  it('encodes ids into the path', async () => {
    handler = json(200, { id: 'a/b' });
    await client().getGroup('a/b?x');
    expect(seen[0]?.url).toBe('/v1/groups/a%2Fb%3Fx');
  });

  it('sends JSON bodies, the Idempotency-Key, and userSub only when given', async () => {
    handler = json(201, { id: 'm' });
    const where2eat = client();
    await where2eat.createGroup({ name: 'Lunch' }, { idempotencyKey: 'key-1' });
    await where2eat.addMember('g', { name: 'Me' });
    await where2eat.addMember('g', { name: 'Guest', userSub: null });
    await where2eat.addMember('g', { name: 'Bob', userSub: 'bob' });
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/v1/groups', '{"name":"Lunch"}'],
      ['POST', '/v1/groups/g/members', '{"name":"Me"}'],
      ['POST', '/v1/groups/g/members', '{"name":"Guest","userSub":null}'],
      ['POST', '/v1/groups/g/members', '{"name":"Bob","userSub":"bob"}'],
    ]);
    expect(seen[0]?.headers['idempotency-key']).toBe('key-1');
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(seen[1]?.headers['idempotency-key']).toBeUndefined();
  });

  it('sends paging as query parameters only when given', async () => {
    handler = json(200, { items: [], limit: 20, offset: 0 });
    await client().listGroups();
    await client().listGroups({ offset: 40 });
    expect(seen.map((s) => s.url)).toEqual(['/v1/groups', '/v1/groups?offset=40']);
  });

  it('resolves DELETE calls with nothing on 204', async () => {
    handler = reply(204, '');
    await expect(client().deleteGroup('g')).resolves.toBeUndefined();
    await expect(client().removeMember('g', 'm')).resolves.toBeUndefined();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'DELETE /v1/groups/g',
      'DELETE /v1/groups/g/members/m',
    ]);
  });
});

describe('errors', () => {
  it('parses a problem, its status and Retry-After', async () => {
    handler = problem(
      503,
      {
        type: 'urn:problem-type:dependency-unavailable',
        title: 'Service unavailable',
        status: 503,
        detail: 'The database is unavailable; retry later.',
        requestId: 'req-1',
      },
      { 'Retry-After': '5' },
    );
    const err = await failure(client().getGroup('g'));
    expect(err).toMatchObject({
      code: 'unavailable',
      status: 503,
      retryAfterSeconds: 5,
      problem: { type: 'urn:problem-type:dependency-unavailable', requestId: 'req-1' },
    });
    expect(err.message).toBe(
      'GET /v1/groups/g answered 503 Service unavailable: The database is unavailable; retry later.',
    );
  });

  it('reports an error answer that is not a problem without a problem', async () => {
    handler = reply(502, '<html>Bad gateway</html>', { 'Content-Type': 'text/html' });
    const err = await failure(client().listCuisines());
    expect(err).toMatchObject({ code: 'unavailable', status: 502, problem: undefined });
    expect(err.message).toBe('GET /v1/cuisines answered 502');
  });

  it('fails with invalid_response when a success answer is not JSON', async () => {
    handler = reply(200, 'hello', { 'Content-Type': 'text/plain' });
    const err = await failure(client().getGroup('g'));
    expect(err).toMatchObject({ code: 'invalid_response', status: 200 });
    handler = json(200, { nope: true });
    expect((await failure(client().listCuisines())).code).toBe('invalid_response');
  });

  it('fails with timeout when the answer takes longer than timeoutMs', async () => {
    handler = (_req, res) => {
      setTimeout(() => res.writeHead(200).end('{}'), 2_000).unref();
    };
    // The server would answer 200 after 2 s: a timeout error is the client giving up first.
    const err = await failure(client({ timeoutMs: 100 }).getGroup('g'));
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/longer than 100 ms/);
  });

  it('fails with aborted when the caller aborts', async () => {
    handler = (_req, res) => {
      setTimeout(() => res.writeHead(200).end('{}'), 2_000).unref();
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await failure(client().getGroup('g', { signal: controller.signal }));
    expect(err.code).toBe('aborted');
  });

  it('fails with network_error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(client({ baseUrl: `http://127.0.0.1:${port}` }).listCuisines());
    expect(err.code).toBe('network_error');
    expect(err.status).toBeUndefined();
    expect(err.cause).toBeInstanceOf(Error);
  });

  it.each([
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [405, 'http_error'],
    [409, 'conflict'],
    [413, 'bad_request'],
    [422, 'validation_failed'],
    [429, 'rate_limited'],
    [500, 'server_error'],
    [502, 'unavailable'],
    [503, 'unavailable'],
    [504, 'timeout'],
    [599, 'server_error'],
  ])('maps status %i to %s', async (status, code) => {
    expect(codeForStatus(status)).toBe(code);
    handler = problem(status, { type: 'urn:problem-type:x', title: 'X' });
    expect(await failure(client().listCuisines())).toMatchObject({ code, status });
  });
});
