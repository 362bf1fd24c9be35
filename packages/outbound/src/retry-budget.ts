/**
 * A retry budget (as in Finagle and gRPC): retries may add at most `ratio` of the calls made in
 * the last `windowMs`, so when a provider fails for everyone, retries add 10% load instead of
 * tripling it. At least one retry is always allowed, so a quiet client can still retry once.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #calls: number[] = [];
  #retries: number[] = [];

  constructor(options: { ratio: number; windowMs: number; now?: () => number }) {
    this.#ratio = options.ratio;
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  #trim(list: number[], at: number): number[] {
    const from = at - this.#windowMs;
    let drop = 0;
    while (drop < list.length && (list[drop] as number) <= from) drop++;
    return drop === 0 ? list : list.slice(drop);
  }

  /** Records a first attempt. */
  recordCall(): void {
    const at = this.#now();
    this.#calls = this.#trim(this.#calls, at);
    this.#calls.push(at);
  }

  /** Takes a retry from the budget; `false` when it is spent (then do not retry). */
  tryRetry(): boolean {
    const at = this.#now();
    this.#calls = this.#trim(this.#calls, at);
    this.#retries = this.#trim(this.#retries, at);
    const allowed = Math.max(1, Math.floor(this.#calls.length * this.#ratio));
    if (this.#retries.length >= allowed) return false;
    this.#retries.push(at);
    return true;
  }
}
