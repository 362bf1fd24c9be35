import { z } from '@hono/zod-openapi';
import { createOutbound, type Outbound } from '@micro-app/outbound';
import type { Cuisine } from '../domain/cuisines.js';

/** A restaurant a provider suggests for a cuisine. */
export const RestaurantSchema = z
  .object({
    name: z.string().min(1).max(120),
    address: z.string().max(200).optional(),
  })
  .openapi('Restaurant');
export type Restaurant = z.infer<typeof RestaurantSchema>;

/** Most suggestions kept from a provider's answer. */
export const SUGGESTIONS_MAX = 5;

/**
 * The adapter every restaurant provider implements: swap providers without touching the route.
 * `suggest` may throw or hang; the outbound client around it (timeout, retries, breaker,
 * budget) turns that into a degraded answer.
 */
export interface RestaurantProvider {
  readonly name: string;
  suggest(cuisine: Cuisine, context: { signal: AbortSignal }): Promise<Restaurant[]>;
}

/** Development and tests: a few made-up restaurants per cuisine, no network. */
export function fakeRestaurantProvider(): RestaurantProvider {
  return {
    name: 'fake',
    async suggest(cuisine) {
      const title = cuisine.charAt(0).toUpperCase() + cuisine.slice(1);
      return [
        { name: `${title} Corner`, address: '1 Example Street' },
        { name: `The ${title} Kitchen`, address: '2 Example Street' },
      ];
    },
  };
}

const ProviderAnswer = z.array(RestaurantSchema);

/**
 * A provider over HTTP: `GET <baseUrl>/restaurants?cuisine=<cuisine>` answering a JSON array
 * of `{ name, address? }`. Anything else counts as a failure of the provider.
 */
export function httpRestaurantProvider(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
): RestaurantProvider {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    name: 'http',
    async suggest(cuisine, { signal }) {
      const res = await fetchImpl(`${base}/restaurants?cuisine=${encodeURIComponent(cuisine)}`, {
        signal,
        headers: { Accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`restaurant provider answered ${res.status}`);
      const parsed = ProviderAnswer.safeParse(await res.json());
      if (!parsed.success) throw new Error('restaurant provider answered an unexpected body');
      return parsed.data;
    },
  };
}

export interface RestaurantSettings {
  provider: RestaurantProvider;
  timeoutMs: number;
  cacheTtlMs: number;
  /** Provider calls one tenant may make per day; past it, suggestions are skipped. */
  budgetPerTenantPerDay: number;
}

/** The guarded client the recommendation route calls (one per process: it holds the breaker). */
export function restaurantSuggestions(
  settings: RestaurantSettings,
): Outbound<Cuisine, Restaurant[]> {
  return createOutbound({
    name: `restaurants-${settings.provider.name}`,
    call: async (cuisine: Cuisine, context) =>
      (await settings.provider.suggest(cuisine, context)).slice(0, SUGGESTIONS_MAX),
    timeoutMs: settings.timeoutMs,
    // The recommendation waits for this call: one retry at most, so a slow provider costs the
    // latency objective two deadlines, not three.
    retry: { maxRetries: 1 },
    cache: { key: (cuisine) => cuisine, ttlMs: settings.cacheTtlMs },
    budget: { limit: settings.budgetPerTenantPerDay },
  });
}
