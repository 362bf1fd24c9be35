import { CanaryDrillError } from '../argo/errors.ts';

export interface LoadOptions {
  baseUrl: string;
  token: string;
  /** Requests after the setup (a group and a member). */
  requests: number;
  /** Requests in flight at once, at most. */
  concurrency: number;
  /**
   * The requests are spread evenly over this long, so Prometheus scrapes the counters several
   * times while they grow: a series is born with the value it has at its first scrape, and
   * `rate()` never sees that first step.
   */
  durationMs: number;
}

export interface LoadResult {
  /** Every request sent, setup included (what the app's request counter must reach). */
  sent: number;
  byStatus: Record<number, number>;
}

/**
 * Bounded load on one instance: creates a group with a member (retrying the injected 500s),
 * then sends `requests` requests over `durationMs`, 4 in 5 of them GET /recommendation (the
 * latency SLO's route) and the rest GET /v1/groups, at most `concurrency` at a time.
 */
export async function driveLoad(options: LoadOptions): Promise<LoadResult> {
  const { baseUrl, token, requests, concurrency, durationMs } = options;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const byStatus: Record<number, number> = {};
  let sent = 0;
  const send = async (path: string, init: RequestInit = {}) => {
    sent++;
    const res = await fetch(`${baseUrl}${path}`, {
      ...init,
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
    return res;
  };
  const create = async (path: string, body: unknown): Promise<string> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const res = await send(path, { method: 'POST', body: JSON.stringify(body) });
      const json = (await res.json().catch(() => ({}))) as { id?: string };
      if (res.status === 201 && json.id) return json.id;
    }
    throw new CanaryDrillError('DRILL_SETUP', `POST ${baseUrl}${path} never answered 201`);
  };
  const groupId = await create('/v1/groups', { name: 'canary drill' });
  await create(`/v1/groups/${groupId}/members`, { name: 'Drill' });

  let next = 0;
  const start = Date.now();
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const wait = start + (i * durationMs) / requests - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const path = i % 5 === 4 ? '/v1/groups' : `/v1/groups/${groupId}/recommendation`;
      const res = await send(path);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent, byStatus };
}
