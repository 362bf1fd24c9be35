/** @jsxImportSource hono/jsx */
import type { Group, Invite, Recommendation } from '@micro-app/where2eat-client';
import type { Child } from 'hono/jsx';
import { CUISINES, type Cuisine } from '../domain/cuisines.js';

/** Who is signed in, for the header and the forms (every form carries the CSRF token). */
export interface Viewer {
  name: string;
  sub: string;
  csrfToken: string;
}

const label = (cuisine: string) => cuisine.charAt(0).toUpperCase() + cuisine.slice(1);

/** The hidden field every state-changing form sends; the server compares it with the session's. */
const Csrf = ({ viewer }: { viewer: Viewer }) => (
  <input type="hidden" name="_csrf" value={viewer.csrfToken} />
);

export function Layout(props: { title: string; viewer?: Viewer | undefined; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · where2eat`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <link rel="icon" href="/assets/icon.svg" type="image/svg+xml" />
      </head>
      <body>
        <header>
          <a class="brand" href="/">
            where2eat
          </a>
          {props.viewer ? (
            <nav aria-label="Account">
              <span class="muted">Signed in as {props.viewer.name}</span>{' '}
              <form class="inline" method="post" action="/auth/logout">
                <Csrf viewer={props.viewer} />
                <button type="submit" class="secondary">
                  Sign out
                </button>
              </form>
            </nav>
          ) : (
            <nav aria-label="Account">
              <a href="/auth/login?returnTo=/app">Sign in</a>
            </nav>
          )}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

export function LandingPage(props: { uiEnabled: boolean }) {
  return (
    <Layout title="Where should we eat?">
      <h1>Where should we eat?</h1>
      <p>
        Make a group, send your friends a link, and everyone marks the cuisines they like and the
        ones they will not eat. where2eat picks what suits the group best.
      </p>
      <section>
        <h2>Get started</h2>
        {props.uiEnabled ? (
          <p>
            <a class="button" href="/app">
              Open where2eat
            </a>
          </p>
        ) : (
          <p class="muted">The web app is not configured on this deployment.</p>
        )}
      </section>
      <section>
        <h2>For developers</h2>
        <ul>
          <li>
            <a href="/docs">API reference</a>
          </li>
          <li>
            <a href="/openapi.json">OpenAPI document</a>
          </li>
        </ul>
      </section>
    </Layout>
  );
}

export function GroupsPage(props: {
  viewer: Viewer;
  groups: Array<{ id: string; name: string; mine: boolean }>;
}) {
  return (
    <Layout title="Your groups" viewer={props.viewer}>
      <h1>Your groups</h1>
      {props.groups.length === 0 ? (
        <p class="muted">
          You are in no group yet. Create one, or open an invite link a friend sent you.
        </p>
      ) : (
        <ul class="plain" aria-label="Groups">
          {props.groups.map((g) => (
            <li>
              <a href={`/app/groups/${g.id}`}>{g.name}</a>
              {g.mine ? <span class="muted">you own it</span> : null}
            </li>
          ))}
        </ul>
      )}
      <section>
        <h2>New group</h2>
        <form method="post" action="/app/groups">
          <Csrf viewer={props.viewer} />
          <label for="group-name">Group name</label>
          <input
            id="group-name"
            name="name"
            type="text"
            required
            maxlength={80}
            autocomplete="off"
          />
          <div>
            <button type="submit">Create group</button>
          </div>
        </form>
      </section>
    </Layout>
  );
}

type Choice = 'none' | 'like' | 'veto';

function PreferencesForm(props: {
  viewer: Viewer;
  groupId: string;
  memberId: string;
  likes: Cuisine[];
  vetoes: Cuisine[];
}) {
  const choiceOf = (c: Cuisine): Choice =>
    props.likes.includes(c) ? 'like' : props.vetoes.includes(c) ? 'veto' : 'none';
  return (
    <form method="post" action={`/app/groups/${props.groupId}/preferences`}>
      <Csrf viewer={props.viewer} />
      <input type="hidden" name="memberId" value={props.memberId} />
      <table>
        <caption class="muted">
          Likes count in list order; a veto rules a cuisine out for everyone.
        </caption>
        <thead>
          <tr>
            <th scope="col">Cuisine</th>
            <th scope="col">No opinion</th>
            <th scope="col">Like</th>
            <th scope="col">Veto</th>
          </tr>
        </thead>
        <tbody>
          {CUISINES.map((c) => (
            <tr>
              <th scope="row">{label(c)}</th>
              {(['none', 'like', 'veto'] as const).map((choice) => (
                <td class="choice">
                  <input
                    type="radio"
                    name={`cuisine.${c}`}
                    value={choice}
                    checked={choiceOf(c) === choice}
                    aria-label={`${choice === 'none' ? 'No opinion on' : choice === 'like' ? 'Like' : 'Veto'} ${label(c)}`}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <button type="submit">Save my choices</button>
    </form>
  );
}

export interface GroupPageProps {
  viewer: Viewer;
  group: Group;
  recommendation: Recommendation;
  /** The owner's view: the usable invites, and a link just made (shown this once). */
  invites?: Invite[] | undefined;
  newInvite?: { url: string; expiresAt: string } | undefined;
  notice?: string | undefined;
}

export function GroupPage(props: GroupPageProps) {
  const { group, viewer, recommendation: rec } = props;
  const me = group.members.find((m) => m.userSub === viewer.sub);
  const isOwner = group.ownerSub === viewer.sub;
  return (
    <Layout title={group.name} viewer={viewer}>
      <p>
        <a href="/app">← Your groups</a>
      </p>
      <h1>{group.name}</h1>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <section aria-labelledby="rec-heading">
        <h2 id="rec-heading">Recommendation</h2>
        {rec.cuisine ? (
          <p class="pick" data-testid="recommendation">
            {label(rec.cuisine)}
          </p>
        ) : (
          <p data-testid="recommendation">
            {rec.reason === 'no-members'
              ? 'Nobody is in the group yet.'
              : rec.reason === 'all-vetoed'
                ? 'Every cuisine has been vetoed.'
                : 'No one has chosen anything yet.'}
          </p>
        )}
        {rec.cuisine && rec.ranking.filter((r) => r.likedBy > 0).length > 1 ? (
          <p class="muted">
            Then:{' '}
            {rec.ranking
              .filter((r) => r.likedBy > 0)
              .slice(1, 4)
              .map((r) => label(r.cuisine))
              .join(', ')}
          </p>
        ) : null}
        {rec.vetoed.length > 0 ? (
          <p class="muted">Vetoed: {rec.vetoed.map(label).join(', ')}</p>
        ) : null}
      </section>
      <section aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Likes</th>
              <th scope="col">Vetoes</th>
            </tr>
          </thead>
          <tbody>
            {group.members.map((m) => (
              <tr>
                <td>
                  {m.name}
                  {m.userSub === group.ownerSub ? <span class="muted"> (owner)</span> : null}
                </td>
                <td>{m.likes.map(label).join(', ') || '—'}</td>
                <td>{m.vetoes.map(label).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {me ? (
        <section aria-labelledby="prefs-heading">
          <h2 id="prefs-heading">Your choices</h2>
          <PreferencesForm
            viewer={viewer}
            groupId={group.id}
            memberId={me.id}
            likes={me.likes}
            vetoes={me.vetoes}
          />
        </section>
      ) : null}
      {isOwner ? (
        <section aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite friends</h2>
          {props.newInvite ? (
            <div class="notice">
              <label for="invite-link">
                Invite link (shown once; valid until{' '}
                {new Date(props.newInvite.expiresAt).toUTCString()})
              </label>
              <input id="invite-link" type="url" readonly value={props.newInvite.url} />
            </div>
          ) : null}
          <form method="post" action={`/app/groups/${group.id}/invites`}>
            <Csrf viewer={viewer} />
            <button type="submit">Create an invite link</button>
          </form>
          {props.invites && props.invites.length > 0 ? (
            <>
              <h3>Open invite links</h3>
              <ul class="plain" aria-label="Open invite links">
                {props.invites.map((i) => (
                  <li>
                    <span>Valid until {new Date(i.expiresAt).toUTCString()}</span>
                    <form
                      class="inline"
                      method="post"
                      action={`/app/groups/${group.id}/invites/${i.id}/revoke`}
                    >
                      <Csrf viewer={viewer} />
                      <button
                        type="submit"
                        class="danger"
                        aria-label={`Revoke the invite link valid until ${new Date(i.expiresAt).toUTCString()}`}
                      >
                        Revoke
                      </button>
                    </form>
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p class="muted">No open invite links.</p>
          )}
        </section>
      ) : null}
    </Layout>
  );
}

/** Before sign-in the page says only that there is an invitation: nothing of the group. */
export function JoinSignInPage() {
  return (
    <Layout title="You are invited">
      <h1>You are invited to a where2eat group</h1>
      <p>Sign in to see the group and join it.</p>
      <p>
        <a class="button" href="/auth/login?returnTo=/join">
          Sign in to join
        </a>
      </p>
    </Layout>
  );
}

export function JoinPage(props: { viewer: Viewer }) {
  return (
    <Layout title="Join a group" viewer={props.viewer}>
      <h1>Join the group you were invited to</h1>
      <form method="post" action="/join">
        <Csrf viewer={props.viewer} />
        <label for="member-name">Your name in the group</label>
        <input
          id="member-name"
          name="name"
          type="text"
          required
          maxlength={80}
          value={props.viewer.name}
        />
        <div>
          <button type="submit">Join group</button>
        </div>
      </form>
    </Layout>
  );
}

export function MessagePage(props: {
  title: string;
  message: string;
  viewer?: Viewer | undefined;
  link?: { href: string; text: string };
}) {
  return (
    <Layout title={props.title} viewer={props.viewer}>
      <h1>{props.title}</h1>
      <p class="error" role="alert">
        {props.message}
      </p>
      {props.link ? (
        <p>
          <a href={props.link.href}>{props.link.text}</a>
        </p>
      ) : (
        <p>
          <a href="/">Back to the start page</a>
        </p>
      )}
    </Layout>
  );
}
