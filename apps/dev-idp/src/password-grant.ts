import type Provider from 'oidc-provider';
import { errors, type ResourceServer } from 'oidc-provider';
import type { DevUser } from './users.js';

interface PasswordGrantSettings {
  users: ReadonlyMap<string, DevUser>;
  defaultIndicator: string;
  resourceServerInfo(indicator: string, clientId: string | undefined): ResourceServer;
}

type ResourceServerClass = new (
  identifier: string,
  info: ResourceServer,
) => NonNullable<InstanceType<Provider['AccessToken']>['resourceServer']>;

/**
 * DEVELOPMENT ONLY: registers `grant_type=password` (the resource-owner password grant, removed
 * from OAuth 2.1) so a seeded user's token is one `curl` away. Tokens still come from the
 * provider's real token endpoint, client authentication, grant storage and signing keys.
 * Never register this grant in a provider that guards real accounts.
 */
export function registerPasswordGrant(provider: Provider, settings: PasswordGrantSettings): void {
  const { users, defaultIndicator, resourceServerInfo } = settings;
  const ResourceServerImpl = (provider as unknown as { ResourceServer: ResourceServerClass })
    .ResourceServer;

  provider.registerGrantType<{ username?: string; password?: string }>(
    'password',
    async (ctx) => {
      const { client, params } = ctx.oidc;
      const { username, password } = params;
      if (!username || !password) {
        throw new errors.InvalidRequest('username and password are required');
      }
      const user = users.get(username);
      if (user === undefined || (user.password ?? user.username) !== password) {
        throw new errors.InvalidGrant('invalid username or password');
      }
      const resource = params.resource ?? defaultIndicator;
      if (typeof resource !== 'string') {
        throw new errors.InvalidTarget('only a single resource indicator is supported');
      }
      const info = resourceServerInfo(resource, client.clientId);
      const offered = new Set(info.scope.split(' ').filter(Boolean));
      const requested = params.scope ? params.scope.split(' ') : [...offered];
      const scope = requested.filter((s) => offered.has(s)).join(' ');

      const grant = new provider.Grant({ accountId: user.username, clientId: client.clientId });
      if (scope) grant.addResourceScope(resource, scope);
      const grantId = await grant.save();

      const token = new provider.AccessToken({
        accountId: user.username,
        client,
        grantId,
        gty: 'password',
        scope: scope || undefined,
      });
      token.resourceServer = new ResourceServerImpl(resource, info);
      const accessToken = await token.save();

      ctx.body = {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: token.expiration,
        ...(scope ? { scope } : {}),
      };
    },
    ['username', 'password', 'scope', 'resource'],
  );
}
