import Provider, {
  type AdapterFactory,
  type ClientMetadata,
  type Configuration,
  errors,
  type KoaContextWithOIDC,
  type ResourceServer,
} from 'oidc-provider';
import type { SigningJwk } from './keys.js';
import { registerPasswordGrant } from './password-grant.js';
import type { DevClient, DevUser } from './users.js';

/** Everything a provider instance is built from (already resolved by `startDevIdp`). */
export interface ProviderSettings {
  issuer: string;
  audience: string;
  extraAudiences: string[];
  scopes: string[];
  users: readonly DevUser[];
  clients: readonly DevClient[];
  keys: SigningJwk[];
  accessTokenTtlSeconds: number;
  cookieKeys: string[];
  adapter: AdapterFactory;
}

/**
 * The RFC 8707 resource indicator for an audience: the audience itself when it is an absolute
 * URI (`https://api.example.com`, `api://where2eat`), else `urn:<audience>`.
 */
export function resourceIndicatorFor(audience: string): string {
  return URL.parse(audience) ? audience : `urn:${audience}`;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether every redirect URI is plain-HTTP loopback (then any port of it matches). */
function loopbackOnly(uris: readonly string[]): boolean {
  return (
    uris.length > 0 &&
    uris.every((uri) => {
      const url = URL.parse(uri);
      return url?.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
    })
  );
}

function clientMetadata(client: DevClient): ClientMetadata {
  const isCode = client.grantTypes.includes('authorization_code');
  return {
    // oidc-provider matches loopback redirect URIs of native clients on any port (RFC 8252 §7.3).
    ...(isCode && loopbackOnly(client.redirectUris ?? []) ? { application_type: 'native' } : {}),
    client_id: client.clientId,
    ...(client.clientSecret
      ? { client_secret: client.clientSecret }
      : { token_endpoint_auth_method: 'none' }),
    grant_types: client.grantTypes,
    response_types: isCode ? ['code'] : [],
    redirect_uris: isCode ? (client.redirectUris ?? []) : [],
    scope: ['openid', 'profile', 'email', 'offline_access'].join(' '),
  };
}

/** Builds a configured `oidc-provider` instance (no I/O; the caller serves `provider.callback()`). */
export function createDevProvider(settings: ProviderSettings): Provider {
  const users = new Map(settings.users.map((user) => [user.username, user]));
  const clients = new Map(settings.clients.map((client) => [client.clientId, client]));
  const resources = new Map(
    [settings.audience, ...settings.extraAudiences].map((audience) => [
      resourceIndicatorFor(audience),
      audience,
    ]),
  );
  const defaultIndicator = resourceIndicatorFor(settings.audience);

  function resourceServerInfo(indicator: string, clientId: string | undefined): ResourceServer {
    const audience = resources.get(indicator);
    if (audience === undefined) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
    const allowed = clientId !== undefined ? clients.get(clientId)?.scopes : undefined;
    const scope = settings.scopes.filter((s) => allowed === undefined || allowed.includes(s));
    return {
      scope: scope.join(' '),
      audience,
      accessTokenTTL: settings.accessTokenTtlSeconds,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256' } },
    };
  }

  const configuration: Configuration = {
    adapter: settings.adapter,
    clients: settings.clients.map(clientMetadata),
    jwks: { keys: settings.keys },
    cookies: { keys: settings.cookieKeys },
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const user = users.get(sub);
      if (user === undefined) return undefined;
      return {
        accountId: user.username,
        async claims() {
          return {
            sub: user.username,
            name: user.name,
            email: user.email,
            tenant: user.tenant,
            roles: user.roles,
          };
        },
      };
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'tenant', 'roles'],
      email: ['email'],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => defaultIndicator,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator, client) =>
          resourceServerInfo(indicator, client.clientId),
      },
    },
    async extraTokenClaims(_ctx, token) {
      if (token.kind === 'ClientCredentials') {
        const client = clients.get(token.clientId as string);
        return {
          roles: client?.roles ?? [],
          ...(client?.tenant ? { tenant: client.tenant } : {}),
        };
      }
      const user = users.get(token.accountId);
      return user ? { tenant: user.tenant, roles: user.roles } : undefined;
    },
    ttl: {
      AccessToken: settings.accessTokenTtlSeconds,
      ClientCredentials: settings.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Grant: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
      RefreshToken: 24 * 3600,
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    pkce: { required: () => true },
  };

  const provider = new Provider(settings.issuer, configuration);
  registerPasswordGrant(provider, {
    users,
    defaultIndicator,
    resourceServerInfo,
  });
  return provider;
}
