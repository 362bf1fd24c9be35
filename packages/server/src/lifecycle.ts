/** Shared shutdown state: health reads it, the server flips it. */
export interface Lifecycle {
  readonly shuttingDown: boolean;
  /** Marks the process as draining; `/health/ready` answers 503 from now on. Idempotent. */
  beginShutdown(): void;
}

/** Creates the shutdown state one app instance shares between its health routes and its server. */
export function createLifecycle(): Lifecycle {
  let shuttingDown = false;
  return {
    get shuttingDown() {
      return shuttingDown;
    },
    beginShutdown() {
      shuttingDown = true;
    },
  };
}
