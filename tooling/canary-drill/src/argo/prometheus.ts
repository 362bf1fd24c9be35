import type { QueryOutcome } from './analysis.ts';

/** A sample value as the Prometheus HTTP API writes it ("0.5", "NaN", "+Inf"). */
export function sampleValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: {
    resultType: 'vector' | 'scalar' | 'matrix' | 'string';
    result: unknown;
  };
}

/**
 * Runs an instant query through `/api/v1/query` and binds the answer as Argo's Prometheus
 * provider does: a vector becomes the list of its values (empty when no series matched), a
 * scalar a number; other types, HTTP and query errors are Error outcomes.
 *
 * @param baseUrl - Prometheus, e.g. `http://127.0.0.1:9090`
 */
export async function prometheusQuery(
  baseUrl: string,
  query: string,
  fetchImpl: typeof fetch = fetch,
): Promise<QueryOutcome> {
  let body: QueryResponse;
  try {
    const res = await fetchImpl(`${baseUrl.replace(/\/$/, '')}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query }),
      signal: AbortSignal.timeout(10_000),
    });
    body = (await res.json()) as QueryResponse;
  } catch (err) {
    return { ok: false, error: `Prometheus query failed: ${(err as Error).message}` };
  }
  if (body.status !== 'success' || !body.data) {
    return { ok: false, error: `Prometheus answered ${body.status}: ${body.error ?? '?'}` };
  }
  const { resultType, result } = body.data;
  if (resultType === 'vector') {
    const samples = result as Array<{ value: [number, string] }>;
    return { ok: true, result: samples.map((s) => sampleValue(s.value[1])) };
  }
  if (resultType === 'scalar') {
    return { ok: true, result: sampleValue((result as [number, string])[1]) };
  }
  return { ok: false, error: `Prometheus metric type not supported: ${resultType}` };
}
