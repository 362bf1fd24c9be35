import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { DevUser } from './users.js';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(
  uid: string,
  users: readonly DevUser[],
  clientId: string,
  error?: string,
): string {
  const options = users
    .map(
      (u) =>
        `<li><code>${escapeHtml(u.username)}</code> (${escapeHtml(u.tenant)}: ${escapeHtml(u.roles.join(', '))})</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dev IdP sign-in</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.4rem 0}input,button{padding:.5rem;font-size:1rem}
.warn{background:#fff3cd;padding:.5rem}.error{color:#b00020}</style></head>
<body><h1>Dev IdP sign-in</h1>
<p class="warn">Development only. Seeded users; the password is the username.</p>
<p>Signing in to <code>${escapeHtml(clientId)}</code>.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">Username</label><input id="username" name="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form>
<p>Users:</p><ul>${options}</ul>
<p><a href="/interaction/${escapeHtml(uid)}/abort">Cancel</a></p></body></html>`;
}

/**
 * The page's CSP. Chromium applies `form-action` to the redirects after a form post too, and the
 * login form ends at the client's redirect URI, so that origin (checked by the provider when the
 * interaction began) is allowed besides 'self'.
 */
function send(res: ServerResponse, status: number, html: string, redirectUri?: unknown): void {
  const target = typeof redirectUri === 'string' ? URL.parse(redirectUri)?.origin : undefined;
  const formAction = target && target !== 'null' ? `'self' ${target}` : "'self'";
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  });
  res.end(html);
}

/**
 * The sign-in and consent steps of the authorization-code flow: a login form for the seeded
 * users (checked against their dev passwords) and automatic consent. Answers paths under
 * `/interaction/`; returns false for any other path.
 */
export async function handleInteraction(
  provider: Provider,
  users: readonly DevUser[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(req.url?.split('?')[0] ?? '');
  if (!match) return false;
  const [, uid = '', action] = match;
  const details = await provider.interactionDetails(req, res);
  const clientId = String(details.params.client_id ?? '');

  if (action === '/abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'the user cancelled the sign-in',
    });
    return true;
  }
  if (action === '/login' && req.method === 'POST') {
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const user = users.find((u) => u.username === username);
    if (user === undefined || (user.password ?? user.username) !== form.get('password')) {
      send(
        res,
        401,
        loginPage(uid, users, clientId, 'Unknown user or wrong password.'),
        details.params.redirect_uri,
      );
      return true;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.username } },
      { mergeWithLastSubmission: false },
    );
    return true;
  }
  if (details.prompt.name === 'login') {
    send(res, 200, loginPage(uid, users, clientId), details.params.redirect_uri);
    return true;
  }
  if (details.prompt.name === 'consent') {
    const accountId = details.session?.accountId;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId });
    if (grant === undefined) throw new Error('grant of the interaction not found');
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: details.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
    return true;
  }
  send(res, 400, `<p>Unsupported prompt ${escapeHtml(details.prompt.name)}</p>`);
  return true;
}
