import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cuisine } from '../domain/cuisines.js';
import { createTestApp, jsonRequest, readJson, type TestApp } from '../test/harness.js';
import {
  fakeRestaurantProvider,
  type RestaurantProvider,
  restaurantSuggestions,
} from './provider.js';

// Restaurant suggestions on GET /recommendation through @micro-app/outbound: a provider that
// fails or a spent budget never fails the recommendation, the breaker stops calling a broken
// provider, the cache stops repeat calls, and the flag switches it all off.

async function flagsFile(dir: string, on: boolean) {
  const file = join(dir, `flags-${on}.json`);
  await writeFile(file, JSON.stringify({ 'restaurant-suggestions': on }));
  return file;
}

/** A group of alice's that recommends `cuisine`. */
async function groupLiking(t: TestApp, cuisine: Cuisine): Promise<string> {
  const group = await readJson(
    await t.request('/v1/groups', jsonRequest('POST', { name: cuisine })),
  );
  const me = await readJson(
    await t.request(`/v1/groups/${group.id}/members`, jsonRequest('POST', { name: 'Alice' })),
  );
  const res = await t.request(
    `/v1/groups/${group.id}/members/${me.id}/preferences`,
    jsonRequest('PUT', { likes: [cuisine], vetoes: [] }),
  );
  expect(res.status).toBe(200);
  return group.id;
}

const recommendation = async (t: TestApp, groupId: string) => {
  const res = await t.request(`/v1/groups/${groupId}/recommendation`);
  expect(res.status).toBe(200);
  return readJson(res);
};

/** Counts calls, and fails or answers as told. */
function countingProvider(behaviour: 'ok' | 'fail'): RestaurantProvider & { calls: number } {
  const fake = fakeRestaurantProvider();
  return {
    name: 'counting',
    calls: 0,
    async suggest(cuisine, context) {
      this.calls++;
      if (behaviour === 'fail') throw new Error('provider is down');
      return fake.suggest(cuisine, context);
    },
  };
}

const guards = { timeoutMs: 500, cacheTtlMs: 60_000, budgetPerTenantPerDay: 100 };

describe('restaurant suggestions', () => {
  let dir: string;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'where2eat-restaurants-'));
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await rm(dir, { recursive: true, force: true });
  });
  async function app(
    provider: RestaurantProvider,
    options: Partial<typeof guards> = {},
    on = true,
  ) {
    const t = await createTestApp({
      flagsFile: await flagsFile(dir, on),
      deps: { restaurants: restaurantSuggestions({ provider, ...guards, ...options }) },
    });
    apps.push(t);
    return t;
  }

  it('adds suggestions for the recommended cuisine, then answers them from the cache', async () => {
    const provider = countingProvider('ok');
    const t = await app(provider);
    const groupId = await groupLiking(t, 'thai');
    expect((await recommendation(t, groupId)).suggestions).toEqual({
      status: 'ok',
      source: 'provider',
      restaurants: [
        { name: 'Thai Corner', address: '1 Example Street' },
        { name: 'The Thai Kitchen', address: '2 Example Street' },
      ],
    });
    for (let i = 0; i < 3; i++) {
      expect((await recommendation(t, groupId)).suggestions).toMatchObject({
        status: 'ok',
        source: 'cache',
      });
    }
    expect(provider.calls).toBe(1);
  });

  it('answers without suggestions when the provider fails, and stops calling it once the breaker opens', async () => {
    const provider = countingProvider('fail');
    const t = await app(provider);
    const groupId = await groupLiking(t, 'greek');
    const statuses: string[] = [];
    for (let i = 0; i < 8; i++) {
      const body = await recommendation(t, groupId);
      expect(body.cuisine).toBe('greek');
      expect(body.suggestions.restaurants).toEqual([]);
      statuses.push(body.suggestions.status);
    }
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill('failed'));
    expect(statuses.slice(5)).toEqual(Array(3).fill('circuit-open'));
    // 5 failed calls, plus the few retries the retry budget allowed: no more calls once open.
    expect(provider.calls).toBeLessThanOrEqual(7);
    const callsWhenOpen = provider.calls;
    await recommendation(t, groupId);
    expect(provider.calls).toBe(callsWhenOpen);
    expect(
      t.logs.some((l) => l.msg === 'restaurant suggestions unavailable; answering without them'),
    ).toBe(true);
  });

  it('stops calling the provider for a tenant whose daily budget is spent', async () => {
    const provider = countingProvider('ok');
    const t = await app(provider, { budgetPerTenantPerDay: 1 });
    const thai = await groupLiking(t, 'thai');
    const greek = await groupLiking(t, 'greek');
    expect((await recommendation(t, thai)).suggestions.status).toBe('ok');
    expect((await recommendation(t, greek)).suggestions).toEqual({
      status: 'budget-exhausted',
      restaurants: [],
    });
    expect((await recommendation(t, thai)).suggestions).toMatchObject({
      status: 'ok',
      source: 'cache',
    });
    expect(provider.calls).toBe(1);
  });

  it('leaves suggestions out while the flag is off', async () => {
    const provider = countingProvider('ok');
    const t = await app(provider, {}, false);
    const groupId = await groupLiking(t, 'thai');
    expect(await recommendation(t, groupId)).not.toHaveProperty('suggestions');
    expect(provider.calls).toBe(0);
  });
});
