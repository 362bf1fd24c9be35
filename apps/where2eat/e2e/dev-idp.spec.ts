// The dev IdP's login page, reached as the web UI reaches it (an authorization request of the
// where2eat-web client with PKCE): it loads nothing from elsewhere, keeps to its CSP, passes
// axe, and its form post ends at the client's redirect URI (Chromium applies form-action to
// the redirects after the post too).
import { createHash, randomBytes } from 'node:crypto';
import { expectAccessible } from './axe.ts';
import { cutOffOtherOrigins, expect, test, watchPage } from './fixtures.ts';

const CLIENT_ID = 'where2eat-web';

async function authorizationUrl(idpUrl: string, redirectUri: string): Promise<string> {
  const discovery = (await (await fetch(`${idpUrl}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
    code_challenge_methods_supported?: string[];
  };
  expect(discovery.code_challenge_methods_supported).toContain('S256');
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
  }).toString();
  return url.toString();
}

test('the login page is self-contained, keeps to its CSP and passes axe', async ({
  page,
  context,
  appUrl,
  idpUrl,
}, testInfo) => {
  const redirectUri = `${appUrl}/auth/callback`;
  const aborted = await cutOffOtherOrigins(context, [idpUrl]);
  const problems = watchPage(page);

  const response = await page.goto(await authorizationUrl(idpUrl, redirectUri));
  expect(response?.status()).toBe(200);
  expect(new URL(page.url()).origin).toBe(new URL(idpUrl).origin);
  expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
  await expect(page.getByRole('heading', { level: 1, name: 'Dev IdP sign-in' })).toBeVisible();
  await expect(page.getByText(CLIENT_ID, { exact: true })).toBeVisible();

  await expectAccessible(page, testInfo, { name: 'axe dev IdP login' });
  await testInfo.attach('login page', { body: await page.screenshot(), contentType: 'image/png' });
  expect(aborted, 'requests to other origins').toEqual([]);
  expect(problems.cspViolations, 'CSP violations').toEqual([]);
  expect(problems.errors, 'console errors').toEqual([]);
});

test("signing in ends at the client's redirect URI with a code", async ({
  page,
  context,
  appUrl,
  idpUrl,
}) => {
  const redirectUri = `${appUrl}/auth/callback`;
  const aborted = await cutOffOtherOrigins(context, [idpUrl, appUrl]);
  const problems = watchPage(page);
  const authorization = new URL(await authorizationUrl(idpUrl, redirectUri));

  await page.goto(authorization.toString());
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('alice');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // where2eat did not start this flow, so its callback refuses it; reaching it is the point.
  await page.waitForURL((url) => `${url.origin}${url.pathname}` === redirectUri);

  const callback = new URL(page.url());
  expect(callback.searchParams.get('error')).toBeNull();
  expect(callback.searchParams.get('code')).toBeTruthy();
  expect(callback.searchParams.get('state')).toBe(authorization.searchParams.get('state'));
  expect(aborted, 'requests to other origins').toEqual([]);
  expect(problems.cspViolations, 'CSP violations (form-action on the redirect)').toEqual([]);
});
