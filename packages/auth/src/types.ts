import type { JWTPayload } from 'jose';

/**
 * The logger shape this package calls: object first, message second. pino and most structured
 * loggers fit it.
 */
export interface AuthLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The verified caller, set by `jwtAuth` as `c.var.principal`. Frozen: never mutate it. */
export interface Principal {
  /** Subject (`sub`): the user id, or the client id for a client-credentials token. */
  readonly sub: string;
  /** Tenant from the configured tenant claim, when present and a string. */
  readonly tenant: string | undefined;
  /** Roles from the configured roles claim (array, or space-separated string). */
  readonly roles: readonly string[];
  /** Scopes from the configured scope claims (`scope` space-separated, `scp` string or array). */
  readonly scopes: readonly string[];
  /** The OAuth client the token was issued to (`client_id`, else `azp`, `appid`, `cid`). */
  readonly clientId: string | undefined;
  /** Every verified claim of the token. */
  readonly claims: Readonly<JWTPayload>;
}

/**
 * Context variables set by `jwtAuth`. Type the app with it:
 * `new Hono<{ Variables: AuthVariables }>()`.
 */
export interface AuthVariables {
  /** The verified caller. */
  principal: Principal;
  /** The logger `jwtAuth` was given; `audit()` and the RBAC middleware write to it. */
  authLogger: AuthLogger;
}

/** Where a claim lives: a top-level claim name (dots allowed) or a path into nested objects. */
export type ClaimPath = string | readonly string[];
