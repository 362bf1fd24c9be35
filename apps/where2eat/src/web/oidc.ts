import * as oidc from 'openid-client';

/** How the web UI signs people in: an OpenID provider and the UI's confidential client there. */
export interface WebSignInSettings {
  /** The issuer (the same one whose access tokens the API accepts). */
  issuer: string;
  clientId: string;
  /** The client's secret, sent with HTTP Basic to the token endpoint. */
  clientSecret: string;
  /** Scopes asked for: `openid` plus the API's. */
  scope: string;
}

/** What the browser carries between the redirect to the provider and the callback. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go once signed in: a path of this app. */
  returnTo: string;
}

export interface SignedIn {
  sub: string;
  name: string;
  accessToken: string;
  /** When the access token expires. */
  expiresAt: Date;
}

/** The provider could not be reached or answered something unusable (not the user's doing). */
export class SignInUnavailableError extends Error {
  override name = 'SignInUnavailableError';
}

/** The callback does not complete a sign-in this browser started (stale, replayed or forged). */
export class SignInRejectedError extends Error {
  override name = 'SignInRejectedError';
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Authorization code + PKCE (S256) with state and nonce, as the OAuth guidance for browser-based
 * apps says for a backend-for-frontend: the code is exchanged here, with the client's secret,
 * and the tokens never reach the browser. Discovery happens at the first sign-in and is retried
 * at the next one when the provider was down.
 */
export function webSignIn(settings: WebSignInSettings) {
  let configuration: Promise<oidc.Configuration> | undefined;
  const issuer = new URL(settings.issuer);
  const config = () => {
    configuration ??= oidc
      .discovery(
        issuer,
        settings.clientId,
        undefined,
        oidc.ClientSecretBasic(settings.clientSecret),
        {
          timeout: 5,
          // Plain HTTP only to a provider on this machine (the dev IdP).
          ...(issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname)
            ? { execute: [oidc.allowInsecureRequests] }
            : {}),
        },
      )
      .catch((error: unknown) => {
        configuration = undefined;
        throw new SignInUnavailableError('the OpenID provider could not be discovered', {
          cause: error,
        });
      });
    return configuration;
  };

  return {
    /** The provider's authorization URL, and what the browser must bring back. */
    async begin(redirectUri: string, returnTo: string) {
      const pending: PendingSignIn = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
        returnTo,
      };
      const url = oidc.buildAuthorizationUrl(await config(), {
        redirect_uri: redirectUri,
        scope: settings.scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url, pending };
    },

    /** Exchanges the callback's code; `callbackUrl` is the redirect URI with the callback's query. */
    async finish(callbackUrl: URL, pending: PendingSignIn): Promise<SignedIn> {
      const configured = await config();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(configured, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        // The provider's or the browser's answer was wrong (bad state, used code): start again.
        if (
          error instanceof oidc.ResponseBodyError ||
          error instanceof oidc.AuthorizationResponseError
        ) {
          throw new SignInRejectedError(error.message, { cause: error });
        }
        if (error instanceof Error && 'code' in error && String(error.code).startsWith('OAUTH_')) {
          throw new SignInRejectedError(error.message, { cause: error });
        }
        throw new SignInUnavailableError('the token request failed', { cause: error });
      }
      const claims = tokens.claims();
      if (!claims) throw new SignInRejectedError('the provider sent no ID token');
      const name = typeof claims.name === 'string' && claims.name ? claims.name : claims.sub;
      const expiresIn = tokens.expiresIn() ?? 300;
      return {
        sub: claims.sub,
        name,
        accessToken: tokens.access_token,
        expiresAt: new Date(Date.now() + expiresIn * 1000),
      };
    },
  };
}

export type WebSignIn = ReturnType<typeof webSignIn>;
