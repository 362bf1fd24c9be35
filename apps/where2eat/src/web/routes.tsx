/** @jsxImportSource hono/jsx */
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@micro-app/telemetry';
import {
  createWhere2eatClient,
  type Where2eatClient,
  Where2eatClientError,
} from '@micro-app/where2eat-client';
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CUISINES } from '../domain/cuisines.js';
import type { AppDatabase } from '../http/types.js';
import {
  type PendingSignIn,
  SignInRejectedError,
  SignInUnavailableError,
  type WebSignIn,
} from './oidc.js';
import {
  GroupPage,
  type GroupPageProps,
  GroupsPage,
  JoinPage,
  JoinSignInPage,
  LandingPage,
  MessagePage,
  type Viewer,
} from './pages.js';
import { type WebSession, webSessionStore } from './sessions.js';
import { STYLESHEET } from './styles.js';

export interface WebOptions {
  db: AppDatabase;
  logger: Logger;
  /** Sign-in at the OpenID provider; `undefined` serves the landing page only (production without PUBLIC_URL). */
  signIn: WebSignIn | undefined;
  /** The origin browsers use; when unset, the request's own origin (development). */
  publicUrl?: string | undefined;
  /** Longest a session lasts; it ends sooner when its access token expires. */
  sessionTtlMs: number;
  /** The app's own API, called in-process with the session's access token. */
  api: (request: Request) => Response | Promise<Response>;
}

type WebEnv = { Variables: { requestId: string; session: WebSession; sessionId: string } };

const SESSION_COOKIE = 'where2eat-session';
const SIGN_IN_COOKIE = 'where2eat-sign-in';
const INVITE_COOKIE = 'where2eat-invite';
/** What the page after a form post shows once (post/redirect/get): a notice, a new invite link. */
const FLASH_COOKIE = 'where2eat-flash';

interface Flash {
  notice?: string;
  newInvite?: { url: string; expiresAt: string };
}
/** `__Host-` cookies: Secure, Path=/, no Domain, so no sibling host can set or read them. */
const cookieOptions = (maxAgeSeconds: number) =>
  ({
    prefix: 'host',
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: maxAgeSeconds,
  }) as const;

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#0b57d0"/><path d="M10 8v7a3 3 0 0 0 2 3v7h2v-7a3 3 0 0 0 2-3V8h-1.5v6h-1V8h-1v6h-1V8zM20 8c-1.5 0-2.5 2-2.5 5s1 4 2 4.5V25h2V8z" fill="#fff"/></svg>';

/** Only what the pages use: the app's own stylesheet and forms, never a frame or a script. */
export const WEB_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A path of this app to return to after sign-in: `/app…` or `/join…`, never another origin. */
export function safeReturnTo(value: string | undefined): string {
  if (value && /^\/(app|join)(\/[\w\-/]*)?$/.test(value)) return value;
  return '/app';
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A JSON value as a cookie value (base64url), and back; `undefined` for anything unreadable. */
const toCookieJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function fromCookieJson(value: string | undefined): Record<string, unknown> | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function decodePending(value: string | undefined): PendingSignIn | undefined {
  const p = fromCookieJson(value);
  return p &&
    typeof p.state === 'string' &&
    typeof p.nonce === 'string' &&
    typeof p.codeVerifier === 'string'
    ? {
        state: p.state,
        nonce: p.nonce,
        codeVerifier: p.codeVerifier,
        returnTo: safeReturnTo(typeof p.returnTo === 'string' ? p.returnTo : undefined),
      }
    : undefined;
}

function setFlash(c: Context, flash: Flash): void {
  setCookie(c, FLASH_COOKIE, toCookieJson(flash), cookieOptions(60));
}

function takeFlash(c: Context): Flash {
  const value = getCookie(c, FLASH_COOKIE, 'host');
  if (!value) return {};
  deleteCookie(c, FLASH_COOKIE, cookieOptions(0));
  const flash = fromCookieJson(value) ?? {};
  const invite =
    typeof flash.newInvite === 'object' && flash.newInvite !== null
      ? (flash.newInvite as Record<string, unknown>)
      : undefined;
  return {
    ...(typeof flash.notice === 'string' ? { notice: flash.notice } : {}),
    ...(typeof invite?.url === 'string' && typeof invite.expiresAt === 'string'
      ? { newInvite: { url: invite.url, expiresAt: invite.expiresAt } }
      : {}),
  };
}

const viewerOf = (s: WebSession): Viewer => ({ name: s.name, sub: s.sub, csrfToken: s.csrfToken });
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * The web UI, a backend-for-frontend on the app's own API: server-rendered pages, no script.
 * Sign-in is authorization code + PKCE at the OpenID provider; the tokens stay in the session
 * table and the browser holds only an HttpOnly, Secure, SameSite=Lax `__Host-` cookie. Every
 * form posts a per-session CSRF token and is checked for a same-origin `Origin` too.
 */
export function webRoutes(options: WebOptions) {
  const { signIn, logger } = options;
  const sessions = webSessionStore(options.db);
  const web = new Hono<WebEnv>();
  const origin = (c: Context) => options.publicUrl ?? new URL(c.req.url).origin;

  // Only on the UI's own paths: the router merges these into the app beside /v1 and /docs.
  for (const path of ['/', '/favicon.ico', '/assets/*', '/auth/*', '/app', '/app/*', '/join']) {
    web.use(path, async (c, next) => {
      await next();
      c.header('Content-Security-Policy', WEB_CSP);
      if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
    });
  }

  web.get('/assets/app.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });

  web.get('/favicon.ico', (c) => c.redirect('/assets/icon.svg', 301));
  web.get('/assets/icon.svg', (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(ICON, 200, { 'Content-Type': 'image/svg+xml' });
  });

  web.get('/', (c) => c.html(<LandingPage uiEnabled={signIn !== undefined} />));

  if (!signIn) return web;

  const page = (
    c: Context,
    status: ContentfulStatusCode,
    title: string,
    message: string,
    viewer?: Viewer,
  ) => c.html(<MessagePage title={title} message={message} viewer={viewer} />, status);

  const toSignIn = (c: Context, returnTo: string) =>
    c.redirect(`/auth/login?returnTo=${encodeURIComponent(safeReturnTo(returnTo))}`, 303);

  /** The API as the signed-in user, in-process, under this request's id. */
  const apiFor = (c: Context<WebEnv>): Where2eatClient =>
    createWhere2eatClient({
      baseUrl: 'http://where2eat.internal',
      getToken: () => c.get('session').accessToken,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        request.headers.set('X-Request-Id', c.get('requestId'));
        return options.api(request);
      },
    });

  web.onError(async (error, c) => {
    const viewer = (c.get('session') as WebSession | undefined)
      ? viewerOf(c.get('session'))
      : undefined;
    if (error instanceof Where2eatClientError) {
      switch (error.code) {
        case 'unauthorized':
          // The access token expired or was revoked: end the session and sign in again.
          await sessions.delete(c.get('sessionId'));
          deleteCookie(c, SESSION_COOKIE, cookieOptions(0));
          return toSignIn(c, c.req.method === 'GET' ? c.req.path : '/app');
        case 'forbidden':
          return page(
            c,
            403,
            'Not allowed',
            error.problem?.detail ?? 'You may not do that.',
            viewer,
          );
        case 'not_found':
          return page(
            c,
            404,
            'Not found',
            'That group does not exist, or it is not yours to see.',
            viewer,
          );
        case 'validation_failed':
        case 'bad_request':
          return page(
            c,
            422,
            'Please check what you entered',
            error.problem?.errors?.map((e) => e.message).join('; ') ?? error.message,
            viewer,
          );
        case 'rate_limited':
          return page(
            c,
            429,
            'Slow down',
            'Too many requests; wait a moment and try again.',
            viewer,
          );
        default:
          logger.warn({ err: error, code: error.code }, 'web UI: the API call failed');
          return page(
            c,
            503,
            'Try again shortly',
            'where2eat could not answer just now; try again in a moment.',
            viewer,
          );
      }
    }
    if (error instanceof SignInUnavailableError) {
      logger.warn({ err: error }, 'web UI: sign-in unavailable');
      return page(
        c,
        503,
        'Sign-in unavailable',
        'The sign-in service cannot be reached; try again in a moment.',
      );
    }
    if (error instanceof HTTPException) return error.getResponse();
    logger.error({ err: error }, 'web UI: request failed');
    return page(
      c,
      500,
      'Something went wrong',
      'An unexpected error happened; it has been logged.',
      viewer,
    );
  });

  // ---- sign-in, callback, sign-out ---------------------------------------------------------

  web.get('/auth/login', async (c) => {
    const returnTo = safeReturnTo(c.req.query('returnTo'));
    const { url, pending } = await signIn.begin(`${origin(c)}/auth/callback`, returnTo);
    setCookie(c, SIGN_IN_COOKIE, toCookieJson(pending), cookieOptions(600));
    return c.redirect(url.href, 302);
  });

  web.get('/auth/callback', async (c) => {
    const pending = decodePending(getCookie(c, SIGN_IN_COOKIE, 'host'));
    deleteCookie(c, SIGN_IN_COOKIE, cookieOptions(0));
    const retry = { href: '/auth/login?returnTo=/app', text: 'Sign in again' };
    if (c.req.query('error')) {
      return c.html(
        <MessagePage
          title="Not signed in"
          message="Sign-in was cancelled or refused at the sign-in service."
          link={retry}
        />,
        400,
      );
    }
    if (!pending) {
      return c.html(
        <MessagePage
          title="Sign-in expired"
          message="This sign-in was not started here or took too long."
          link={retry}
        />,
        400,
      );
    }
    const callback = new URL(`${origin(c)}/auth/callback`);
    callback.search = new URL(c.req.url).search;
    let signedIn: Awaited<ReturnType<WebSignIn['finish']>>;
    try {
      signedIn = await signIn.finish(callback, pending);
    } catch (error) {
      if (!(error instanceof SignInRejectedError)) throw error;
      logger.warn({ reason: error.message }, 'web UI: sign-in callback rejected');
      return c.html(
        <MessagePage
          title="Sign-in failed"
          message="The sign-in could not be completed."
          link={retry}
        />,
        400,
      );
    }
    const expiresAt = new Date(
      Math.min(signedIn.expiresAt.getTime(), Date.now() + options.sessionTtlMs),
    );
    const { id } = await sessions.create({
      sub: signedIn.sub,
      name: signedIn.name,
      accessToken: signedIn.accessToken,
      expiresAt,
    });
    setCookie(
      c,
      SESSION_COOKIE,
      id,
      cookieOptions(Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000))),
    );
    logger.info(
      { audit: true, event: 'web.signed_in', sub: signedIn.sub },
      'signed in to the web UI',
    );
    return c.redirect(pending.returnTo, 303);
  });

  // Every state-changing form: a same-origin Origin (or Sec-Fetch-Site) and the session's token.
  const sameOrigin = csrf({ origin: (value, c) => value === origin(c) });

  const withSession = (required: 'page' | 'form') =>
    async function session(c: Context<WebEnv>, next: () => Promise<void>) {
      const id = getCookie(c, SESSION_COOKIE, 'host') ?? '';
      const found = await sessions.find(id);
      if (!found) {
        if (required === 'form')
          return page(c, 403, 'Signed out', 'Your session ended; sign in and try again.');
        return toSignIn(c, c.req.path);
      }
      c.set('session', found);
      c.set('sessionId', id);
      if (required === 'form') {
        const body = await c.req.parseBody();
        if (!sameSecret(text(body._csrf), found.csrfToken)) {
          logger.warn({ path: c.req.path }, 'web UI: form without a valid CSRF token refused');
          return page(
            c,
            403,
            'Form expired',
            'This form is out of date; reload the page and try again.',
            viewerOf(found),
          );
        }
      }
      await next();
    };

  web.post('/auth/logout', sameOrigin, async (c) => {
    const id = getCookie(c, SESSION_COOKIE, 'host') ?? '';
    const found = await sessions.find(id);
    // Already ended (expired, or signed out in another tab): nothing left to end.
    if (!found) {
      deleteCookie(c, SESSION_COOKIE, cookieOptions(0));
      return c.redirect('/', 303);
    }
    const body = await c.req.parseBody();
    if (!sameSecret(text(body._csrf), found.csrfToken)) {
      return page(c, 403, 'Form expired', 'Reload the page and sign out again.', viewerOf(found));
    }
    await sessions.delete(id);
    deleteCookie(c, SESSION_COOKIE, cookieOptions(0));
    logger.info(
      { audit: true, event: 'web.signed_out', sub: found.sub },
      'signed out of the web UI',
    );
    return c.redirect('/', 303);
  });

  // ---- groups -----------------------------------------------------------------------------

  web.get('/app', withSession('page'), async (c) => {
    const viewer = viewerOf(c.get('session'));
    const page = await apiFor(c).listGroups({ limit: 100 });
    const groups = page.items.map((g) => ({
      id: g.id,
      name: g.name,
      mine: g.ownerSub === viewer.sub,
    }));
    return c.html(<GroupsPage viewer={viewer} groups={groups} />);
  });

  web.post('/app/groups', sameOrigin, withSession('form'), async (c) => {
    const body = await c.req.parseBody();
    const api = apiFor(c);
    const group = await api.createGroup({ name: text(body.name) });
    await api.addMember(group.id, { name: c.get('session').name });
    return c.redirect(`/app/groups/${group.id}`, 303);
  });

  async function groupPage(
    c: Context<WebEnv>,
    groupId: string,
    extra: Partial<GroupPageProps> = {},
  ) {
    const viewer = viewerOf(c.get('session'));
    const api = apiFor(c);
    const group = await api.getGroup(groupId);
    const isOwner = group.ownerSub === viewer.sub;
    if (!isOwner && !group.members.some((m) => m.userSub === viewer.sub)) {
      // The API shows a tenant its groups; the UI shows a group to its members only.
      return page(
        c,
        403,
        'Not a member',
        'You are not in this group. Ask its owner for an invite link.',
        viewer,
      );
    }
    const [recommendation, invites] = await Promise.all([
      api.getRecommendation(groupId),
      isOwner ? api.listInvites(groupId) : Promise.resolve(undefined),
    ]);
    return c.html(
      <GroupPage
        viewer={viewer}
        group={group}
        recommendation={recommendation}
        invites={invites}
        {...extra}
      />,
    );
  }

  web.get('/app/groups/:groupId', withSession('page'), (c) => {
    const flash = takeFlash(c);
    return groupPage(c, c.req.param('groupId') ?? '', {
      notice: flash.notice,
      newInvite: flash.newInvite,
    });
  });

  web.post('/app/groups/:groupId/preferences', sameOrigin, withSession('form'), async (c) => {
    const groupId = c.req.param('groupId');
    const body = await c.req.parseBody();
    const choice = (cuisine: string) => text(body[`cuisine.${cuisine}`]);
    await apiFor(c).setPreferences(groupId, text(body.memberId), {
      likes: CUISINES.filter((cuisine) => choice(cuisine) === 'like'),
      vetoes: CUISINES.filter((cuisine) => choice(cuisine) === 'veto'),
    });
    return c.redirect(`/app/groups/${groupId}`, 303);
  });

  web.post('/app/groups/:groupId/invites', sameOrigin, withSession('form'), async (c) => {
    const groupId = c.req.param('groupId');
    const invite = await apiFor(c).createInvite(groupId);
    const url = `${origin(c)}/join?invite=${encodeURIComponent(invite.token)}`;
    // The token exists only in this answer: it rides to the next page in a one-minute HttpOnly
    // cookie, shown once and deleted, so a reload neither shows it again nor makes another.
    setFlash(c, {
      notice: 'Invite link created. Copy it now: it is shown only once.',
      newInvite: { url, expiresAt: invite.expiresAt },
    });
    return c.redirect(`/app/groups/${groupId}`, 303);
  });

  web.post(
    '/app/groups/:groupId/invites/:inviteId/revoke',
    sameOrigin,
    withSession('form'),
    async (c) => {
      const groupId = c.req.param('groupId');
      await apiFor(c).revokeInvite(groupId, c.req.param('inviteId'));
      setFlash(c, { notice: 'Invite link revoked: it no longer works.' });
      return c.redirect(`/app/groups/${groupId}`, 303);
    },
  );

  // ---- invite links -----------------------------------------------------------------------

  // The link carries the token in its query (never in a logged path); it moves at once into an
  // HttpOnly cookie and out of the address bar, the history and any Referer.
  web.get('/join', async (c) => {
    const token = c.req.query('invite');
    if (token !== undefined) {
      setCookie(c, INVITE_COOKIE, token.slice(0, 64), cookieOptions(3600));
      return c.redirect('/join', 303);
    }
    if (!getCookie(c, INVITE_COOKIE, 'host')) {
      return page(c, 404, 'No invitation', 'Open the invite link you were sent again.');
    }
    const found = await sessions.find(getCookie(c, SESSION_COOKIE, 'host') ?? '');
    if (!found) return c.html(<JoinSignInPage />);
    return c.html(<JoinPage viewer={viewerOf(found)} />);
  });

  web.post('/join', sameOrigin, withSession('form'), async (c) => {
    const token = getCookie(c, INVITE_COOKIE, 'host');
    const viewer = viewerOf(c.get('session'));
    if (!token)
      return page(c, 404, 'No invitation', 'Open the invite link you were sent again.', viewer);
    const body = await c.req.parseBody();
    try {
      const joined = await apiFor(c).acceptInvite({ token, name: text(body.name) });
      deleteCookie(c, INVITE_COOKIE, cookieOptions(0));
      return c.redirect(`/app/groups/${joined.groupId}`, 303);
    } catch (error) {
      if (error instanceof Where2eatClientError && error.code === 'not_found') {
        deleteCookie(c, INVITE_COOKIE, cookieOptions(0));
        return page(
          c,
          404,
          'Invite not valid',
          'This invite link is unknown, has expired or was revoked. Ask for a new one.',
          viewer,
        );
      }
      throw error;
    }
  });

  return web;
}
