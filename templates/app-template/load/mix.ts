/**
 * What `npm run load` sends, round-robin per connection: the note the run created, and the first
 * page of notes (the k6 smoke test's iteration, smoke.ts).
 */
import type { LoadRequest } from '@micro-app/load';

export function requestsFor(noteId: string): LoadRequest[] {
  return [{ path: `/v1/notes/${noteId}` }, { path: '/v1/notes?limit=20' }];
}

/** The headers of every request: the bearer token, JSON bodies. */
export function headersFor(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}
