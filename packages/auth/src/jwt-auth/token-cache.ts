import type { Principal } from '../types.js';

interface Entry {
  principal: Principal;
  expiresAtMs: number;
  generation: number;
}

/**
 * A bounded map of verified tokens to their principal. Keyed by the whole token string, an entry
 * is served only while `Date.now() < exp` and only for the key-set generation it was verified
 * with; when full, the oldest insertion is evicted (expired entries first).
 */
export class TokenCache {
  readonly maxEntries: number;
  #entries = new Map<string, Entry>();
  #generation = 0;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  /** Number of entries held (some may be expired and not yet swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** The current key-set generation; capture it before verifying a token. */
  get generation(): number {
    return this.#generation;
  }

  /** The cached principal for `token`, or `undefined` (expired entries are dropped). */
  get(token: string, nowMs: number): Principal | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAtMs || entry.generation !== this.#generation) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  /**
   * Remembers a verified token. Ignored when the key set changed since `generation` was captured
   * (the token was verified with keys that may be gone) or when it is already expired.
   */
  set(token: string, principal: Principal, expiresAtMs: number, generation: number, nowMs: number) {
    if (generation !== this.#generation || expiresAtMs <= nowMs) return;
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(token)) this.#evict(nowMs);
    this.#entries.set(token, { principal, expiresAtMs, generation });
  }

  /** Forgets every entry; called when the key set changes. */
  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }

  #evict(nowMs: number): void {
    // Sweep a bounded number of the oldest entries for expired ones, then drop the oldest.
    let swept = 0;
    for (const [token, entry] of this.#entries) {
      if (swept++ >= 16) break;
      if (nowMs >= entry.expiresAtMs) this.#entries.delete(token);
    }
    if (this.#entries.size < this.maxEntries) return;
    const oldest = this.#entries.keys().next();
    if (!oldest.done) this.#entries.delete(oldest.value);
  }
}
