import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupInvites, groups, webSessions } from '../db/schema.js';
import { createTestApp, type TestApp } from '../test/harness.js';
import { WEB_CSP } from './routes.js';
import { pruneWebState } from './sessions.js';

// The web UI as a browser meets it, without a browser: the app in-process, the dev IdP over
// HTTP, one cookie jar per person. (The Playwright journeys in e2e/ do the same in Chromium.)

const ORIGIN = 'http://localhost:3999';

/** A browser's cookies and redirects, enough to sign in and post forms. */
function browser(t: TestApp) {
  const jar = new Map<string, Map<string, string>>();
  const hostOf = (url: URL) => url.host;
  const setCookies: string[] = [];
  /** Where each answer came from, so a relative Location resolves against it. */
  const from = new WeakMap<Response, URL>();
  async function request(url: string, init: RequestInit = {}, base = ORIGIN): Promise<Response> {
    const target = new URL(url, base);
    const cookies = jar.get(hostOf(target)) ?? new Map<string, string>();
    const headers = new Headers(init.headers);
    if (cookies.size > 0) {
      headers.set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res =
      target.origin === ORIGIN
        ? await t.app.request(target.href, { ...init, headers })
        : await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      setCookies.push(cookie);
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      cookies.set(name, value);
      if (/max-age=0/i.test(cookie) || value === '') cookies.delete(name);
    }
    jar.set(hostOf(target), cookies);
    from.set(res, target);
    return res;
  }
  const location = (res: Response) => res.headers.get('location') ?? '';
  const next = (res: Response) => request(location(res), {}, from.get(res)?.href ?? ORIGIN);
  return {
    request,
    setCookies,
    /** The callback URLs the IdP sent this browser to. */
    callbacks: [] as string[],
    cookie: (name: string) => jar.get(new URL(ORIGIN).host)?.get(name),
    location,
    /** Follows redirects from `res` until an answer of the app's that is no redirect. */
    async follow(res: Response): Promise<Response> {
      let current = res;
      for (let hop = 0; hop < 10 && [302, 303].includes(current.status); hop++) {
        current = await next(current);
      }
      return current;
    },
    /** From the app's redirect to the IdP: the login form, as `user`, back to the app. */
    async signIn(toIdp: Response, user: string): Promise<Response> {
      const loginPage = await this.follow(toIdp);
      const html = await loginPage.text();
      const action = /action="([^"]+)"/.exec(html)?.[1];
      expect(action, 'the IdP login form').toBeTruthy();
      const loginUrl = new URL(action as string, from.get(loginPage)).href;
      const res = await request(loginUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `username=${user}&password=${user}`,
      });
      let current = res;
      for (
        let hop = 0;
        hop < 8 && !location(current).startsWith(`${ORIGIN}/auth/callback`);
        hop++
      ) {
        current = await next(current);
      }
      this.callbacks.push(location(current));
      return next(current);
    },
    /** Posts a form of the app with this browser's Origin. */
    post(path: string, fields: Record<string, string>, origin = ORIGIN) {
      return request(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
        body: new URLSearchParams(fields).toString(),
      });
    },
  };
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('web UI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ web: true });
  });
  afterAll(() => t.close());

  it('signs in with authorization code + PKCE and keeps the tokens server-side behind a __Host- cookie', async () => {
    const b = browser(t);
    const toLogin = await b.request('/app');
    expect(toLogin.status).toBe(303);
    expect(b.location(toLogin)).toBe('/auth/login?returnTo=%2Fapp');
    const toIdp = await b.request(b.location(toLogin));
    expect(toIdp.status).toBe(302);
    const authorize = new URL(b.location(toIdp));
    expect(authorize.origin).toBe(new URL(t.idp.issuer).origin);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: 'where2eat-web',
      response_type: 'code',
      redirect_uri: `${ORIGIN}/auth/callback`,
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.any(String),
      nonce: expect.any(String),
    });
    const pending = b.setCookies.find((c) => c.startsWith('__Host-where2eat-sign-in='));
    expect(pending).toMatch(/; HttpOnly/);
    expect(pending).toMatch(/; Secure/);
    expect(pending).toMatch(/; SameSite=Lax/);

    const back = await b.signIn(toIdp, 'alice');
    expect(back.status).toBe(303);
    expect(b.location(back)).toBe('/app');
    const session = b.setCookies.find((c) => c.startsWith('__Host-where2eat-session='));
    expect(session).toMatch(/; Path=\/; .*HttpOnly; Secure; SameSite=Lax/);
    const id = b.cookie('__Host-where2eat-session') as string;
    // The table holds the id's hash and the access token; the browser never sees the token.
    const rows = await t.db.select().from(webSessions);
    expect(rows.some((r) => r.idHash === id)).toBe(false);
    expect(b.setCookies.join('\n')).not.toContain(rows[0]?.accessToken);

    const page = await b.request('/app');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(WEB_CSP);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('Your groups');
    expect(html).toContain('Signed in as Alice Example');
  });

  it('refuses a callback this browser did not start, a forged state and a replayed code', async () => {
    const stranger = browser(t);
    const res = await stranger.request('/auth/callback?code=abc&state=xyz');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Sign-in expired');

    const b = browser(t);
    const toIdp = await b.request('/auth/login?returnTo=/app');
    const back = await b.signIn(toIdp, 'alice');
    expect(back.status).toBe(303);
    // Replaying the same callback: the code is spent and the sign-in cookie is gone.
    const callback = b.callbacks.at(-1) as string;
    expect(callback).toContain('code=');
    const replayed = await b.request(callback);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('Sign-in expired');

    const forger = browser(t);
    const toIdp2 = await forger.request('/auth/login?returnTo=/app');
    const state = new URL(forger.location(toIdp2)).searchParams.get('state');
    const loginPage = await forger.follow(toIdp2);
    expect(loginPage.status).toBe(200);
    const forged = await forger.request(`/auth/callback?code=made-up&state=${state}x`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('Sign-in failed');
  });

  it('returns only to its own paths after sign-in', async () => {
    for (const returnTo of [
      '//evil.example',
      'https://evil.example/app',
      '/v1/groups',
      '/app/../x',
    ]) {
      const b = browser(t);
      const toIdp = await b.request(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
      const back = await b.signIn(toIdp, 'alice');
      expect(b.location(back), returnTo).toBe('/app');
    }
  });

  it('checks the CSRF token and the Origin of every form, and sign-out ends the session', async () => {
    const b = browser(t);
    await b.signIn(await b.request('/auth/login?returnTo=/app'), 'bob');
    const csrf = csrfOf(await (await b.request('/app')).text());
    expect(csrf).toMatch(/^[\w-]{43}$/);

    const missing = await b.post('/app/groups', { name: 'No token' });
    expect(missing.status).toBe(403);
    const wrong = await b.post('/app/groups', { name: 'Wrong token', _csrf: `${csrf}x` });
    expect(wrong.status).toBe(403);
    const crossSite = await b.post(
      '/app/groups',
      { name: 'Cross', _csrf: csrf },
      'https://evil.example',
    );
    expect(crossSite.status).toBe(403);
    const groups = await (await b.request('/app')).text();
    expect(groups).not.toMatch(/No token|Wrong token|Cross/);

    const created = await b.post('/app/groups', { name: 'Bob lunch', _csrf: csrf });
    expect(created.status).toBe(303);
    expect(b.location(created)).toMatch(/^\/app\/groups\/[\w-]{36}$/);

    const id = b.cookie('__Host-where2eat-session') as string;
    const out = await b.post('/auth/logout', { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(b.location(out)).toBe('/');
    // The old cookie value signs no one in any more.
    const replay = await t.app.request(`${ORIGIN}/app`, {
      headers: { Cookie: `__Host-where2eat-session=${id}` },
    });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toContain('/auth/login');
    // Signing out again (another tab, an expired session) just lands on the start page.
    const again = await b.post('/auth/logout', { _csrf: csrf });
    expect(again.status).toBe(303);
    expect(b.location(again)).toBe('/');
  });

  it('prunes expired sessions and invites long past their end', async () => {
    const now = new Date();
    const hour = 3_600_000;
    await t.db.insert(webSessions).values([
      {
        idHash: 'expired',
        sub: 'x',
        name: 'X',
        accessToken: 't',
        csrfToken: 'c',
        expiresAt: new Date(now.getTime() - hour),
      },
      {
        idHash: 'current',
        sub: 'x',
        name: 'X',
        accessToken: 't',
        csrfToken: 'c',
        expiresAt: new Date(now.getTime() + hour),
      },
    ]);
    const [group] = await t.db
      .insert(groups)
      .values({ tenantId: 'acme', ownerSub: 'x', name: 'G' })
      .returning();
    const groupId = group?.id as string;
    await t.db.insert(groupInvites).values([
      { groupId, tokenHash: 'old', createdBy: 'x', expiresAt: new Date(now.getTime() - 48 * hour) },
      { groupId, tokenHash: 'recent', createdBy: 'x', expiresAt: new Date(now.getTime() - hour) },
      {
        groupId,
        tokenHash: 'revoked',
        createdBy: 'x',
        expiresAt: new Date(now.getTime() + hour),
        revokedAt: new Date(now.getTime() - 48 * hour),
      },
      { groupId, tokenHash: 'open', createdBy: 'x', expiresAt: new Date(now.getTime() + hour) },
    ]);
    expect(await pruneWebState(t.db, now)).toBeGreaterThanOrEqual(3);
    const sessionsLeft = (await t.db.select().from(webSessions)).map((r) => r.idHash);
    expect(sessionsLeft).toContain('current');
    expect(sessionsLeft).not.toContain('expired');
    const invitesLeft = (
      await t.db.select().from(groupInvites).where(eq(groupInvites.groupId, groupId))
    ).map((r) => r.tokenHash);
    expect(invitesLeft.sort()).toEqual(['open', 'recent']);
  });

  it('lets a friend join from an invite link after signing in, showing nothing before; another tenant cannot', async () => {
    const alice = browser(t);
    await alice.signIn(await alice.request('/auth/login?returnTo=/app'), 'alice');
    let csrf = csrfOf(await (await alice.request('/app')).text());
    const created = await alice.post('/app/groups', { name: 'Secret supper', _csrf: csrf });
    const groupPath = alice.location(created);
    const groupPage = await (await alice.request(groupPath)).text();
    csrf = csrfOf(groupPage);
    await alice.post(`${groupPath}/preferences`, {
      _csrf: csrf,
      memberId: /name="memberId" value="([^"]+)"/.exec(groupPage)?.[1] ?? '',
      'cuisine.thai': 'like',
      'cuisine.french': 'veto',
    });
    const invited = await alice.post(`${groupPath}/invites`, { _csrf: csrf });
    expect(invited.status).toBe(303);
    expect(alice.location(invited)).toBe(groupPath);
    const linkPattern = /id="invite-link" type="url" readonly="" value="([^"]+)"/;
    const shown = await (await alice.request(groupPath)).text();
    const link = linkPattern.exec(shown)?.[1];
    // Shown once: a reload shows the page without it and makes no second invite.
    const reloaded = await (await alice.request(groupPath)).text();
    expect(reloaded).not.toMatch(linkPattern);
    expect(reloaded.match(/>Revoke</g)).toHaveLength(1);
    expect(link).toMatch(new RegExp(`^${ORIGIN}/join\\?invite=[\\w-]{43}$`));

    const bob = browser(t);
    const opened = await bob.request(link as string);
    expect(opened.status).toBe(303);
    expect(bob.location(opened)).toBe('/join');
    const before = await (await bob.request('/join')).text();
    expect(before).toContain('Sign in to join');
    expect(before).not.toMatch(/Secret supper|Thai|Alice/);
    const back = await bob.signIn(await bob.request('/auth/login?returnTo=/join'), 'bob');
    expect(bob.location(back)).toBe('/join');
    const joinPage = await (await bob.request('/join')).text();
    expect(joinPage).not.toMatch(/Secret supper|Thai/);
    const joined = await bob.post('/join', { _csrf: csrfOf(joinPage), name: 'Bob' });
    expect(joined.status).toBe(303);
    expect(bob.location(joined)).toBe(groupPath);
    const member = await (await bob.request(groupPath)).text();
    expect(member).toContain('Secret supper');
    expect(member).toContain('Thai');

    const carol = browser(t);
    await carol.request(link as string);
    await carol.signIn(await carol.request('/auth/login?returnTo=/join'), 'carol');
    const carolJoin = await (await carol.request('/join')).text();
    const refused = await carol.post('/join', { _csrf: csrfOf(carolJoin), name: 'Carol' });
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toMatch(/Secret supper|Thai/);
    expect((await carol.request(groupPath)).status).toBe(404);
  });

  it('serves the landing page and leaves the API headers alone', async () => {
    const res = await t.app.request(`${ORIGIN}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('href="/app"');
    expect(html).toContain('href="/docs"');
    const api = await t.request('/v1/cuisines');
    expect(api.headers.get('content-security-policy')).not.toBe(WEB_CSP);
    const css = await t.app.request(`${ORIGIN}/assets/app.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});
