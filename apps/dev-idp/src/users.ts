/** A seeded development user. Passwords are for local development only. */
export interface DevUser {
  /** Login name; also the token's `sub`. */
  username: string;
  /** Password for the dev login and the dev-only password grant. Default: the username. */
  password?: string;
  /** Tenant id, issued as the `tenant` claim. */
  tenant: string;
  /** Roles, issued as the `roles` claim. */
  roles: string[];
  /** Display name (`name` claim of the ID token / userinfo). */
  name?: string;
  /** E-mail address (`email` claim of the ID token / userinfo). */
  email?: string;
}

/** A registered OAuth client of the dev IdP. */
export interface DevClient {
  clientId: string;
  /** Secret of a confidential client; a client without one is public (PKCE, no secret). */
  clientSecret?: string;
  /** Grant types: `client_credentials`, `password` (dev-only), `authorization_code`, `refresh_token`. */
  grantTypes: string[];
  /** Resource scopes the client may obtain. Default: every resource scope. */
  scopes?: string[];
  /** Roles put in client-credentials tokens as the `roles` claim. */
  roles?: string[];
  /** Tenant put in client-credentials tokens as the `tenant` claim. */
  tenant?: string;
  /**
   * Redirect URIs (authorization-code clients only). An `http://localhost` or `http://127.0.0.1`
   * URI matches that URI on any port (RFC 8252 loopback redirects), so the app may run on
   * whatever port it picks.
   */
  redirectUris?: string[];
}

/** alice (acme, member), bob (acme, admin), carol (globex, member); password = username. */
export const DEFAULT_USERS: readonly DevUser[] = Object.freeze([
  {
    username: 'alice',
    tenant: 'acme',
    roles: ['member'],
    name: 'Alice Example',
    email: 'alice@acme.test',
  },
  {
    username: 'bob',
    tenant: 'acme',
    roles: ['admin'],
    name: 'Bob Example',
    email: 'bob@acme.test',
  },
  {
    username: 'carol',
    tenant: 'globex',
    roles: ['member'],
    name: 'Carol Example',
    email: 'carol@globex.test',
  },
]);

/**
 * The resource scopes of the where2eat API, granted by default: `cuisines:read` (the cuisine
 * list), `groups:read` (groups, members, recommendations) and `groups:write` (create, rename and
 * delete groups, add and remove members, record preferences).
 */
export const WHERE2EAT_SCOPES: readonly string[] = Object.freeze([
  'cuisines:read',
  'groups:read',
  'groups:write',
]);
/** The read-only subset of {@link WHERE2EAT_SCOPES}. */
export const WHERE2EAT_READ_SCOPES: readonly string[] = Object.freeze([
  'cuisines:read',
  'groups:read',
]);

/** Client used by the dev-only password grant (public: no secret). */
export const DEV_CLI_CLIENT_ID = 'dev-cli';
/** The where2eat service client for client-credentials tokens. */
export const SERVICE_CLIENT_ID = 'where2eat-service';
/** Dev-only secret of {@link SERVICE_CLIENT_ID}. Never use it outside local development. */
export const SERVICE_CLIENT_SECRET = 'where2eat-service-dev-secret';
/**
 * where2eat's web UI: a backend-for-frontend, so a confidential client (its secret stays on the
 * server) using the authorization-code flow with PKCE.
 */
export const WEB_CLIENT_ID = 'where2eat-web';
/** Dev-only secret of {@link WEB_CLIENT_ID}. Never use it outside local development. */
export const WEB_CLIENT_SECRET = 'where2eat-web-dev-secret';

/**
 * The clients registered when none are given: `dev-cli` and `where2eat-web` get every
 * where2eat scope, `where2eat-service` the read scopes only. `where2eat-web` redirects to
 * `/auth/callback` on localhost or 127.0.0.1, any port.
 */
export const DEFAULT_CLIENTS: readonly DevClient[] = Object.freeze([
  { clientId: DEV_CLI_CLIENT_ID, grantTypes: ['password'], scopes: [...WHERE2EAT_SCOPES] },
  {
    clientId: SERVICE_CLIENT_ID,
    clientSecret: SERVICE_CLIENT_SECRET,
    grantTypes: ['client_credentials'],
    // A service reads where2eat; it never acts as a user.
    scopes: [...WHERE2EAT_READ_SCOPES],
    roles: ['service'],
  },
  {
    clientId: WEB_CLIENT_ID,
    clientSecret: WEB_CLIENT_SECRET,
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: [...WHERE2EAT_SCOPES],
    redirectUris: ['http://localhost:3000/auth/callback', 'http://127.0.0.1:3000/auth/callback'],
  },
]);
