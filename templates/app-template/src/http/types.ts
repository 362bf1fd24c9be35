import type { AuthVariables } from '@micro-app/auth';
import type { Database } from '@micro-app/db';
import type { FlagsVariables } from '@micro-app/flags';
import type { TelemetryVariables } from '@micro-app/telemetry';
import type * as schema from '../db/schema.js';
import type { AppFlag } from '../flags.js';

export type AppDatabase = Database<typeof schema>;

/** The caller as the app sees it: who, and which tenant's data they may touch. */
export interface Caller {
  sub: string;
  tenant: string;
}

/** Request-scoped values of app-template. */
export interface AppVariables {
  /** Set by the server kit's guardrails. */
  requestId: string;
  caller: Caller;
}

export interface AppEnv {
  Variables: AppVariables & AuthVariables & TelemetryVariables & FlagsVariables<AppFlag>;
}
