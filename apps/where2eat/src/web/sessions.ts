import { and, eq, gt, inArray, isNotNull, lt, or } from 'drizzle-orm';
import { groupInvites, webSessions } from '../db/schema.js';
import { randomToken, sha256 } from '../http/tokens.js';
import type { AppDatabase } from '../http/types.js';

/** A signed-in browser: who, the access token the UI calls the API with, and its CSRF token. */
export interface WebSession {
  sub: string;
  name: string;
  accessToken: string;
  csrfToken: string;
  expiresAt: Date;
}

/**
 * Server-side sessions of the web UI. The cookie carries only a random id; the table keeps its
 * SHA-256, so neither a leaked table nor a leaked log line signs anyone in.
 */
export function webSessionStore(db: AppDatabase) {
  return {
    /** A new session (a new id at every sign-in: no fixation); returns the cookie value. */
    async create(
      input: Omit<WebSession, 'csrfToken'>,
    ): Promise<{ id: string; session: WebSession }> {
      const id = randomToken();
      const session = { ...input, csrfToken: randomToken() };
      await db.insert(webSessions).values({ idHash: sha256(id), ...session });
      return { id, session };
    },

    /** The session of a cookie value, while it lasts. */
    async find(id: string): Promise<WebSession | undefined> {
      if (id.length === 0 || id.length > 64) return undefined;
      const [row] = await db
        .select()
        .from(webSessions)
        .where(and(eq(webSessions.idHash, sha256(id)), gt(webSessions.expiresAt, new Date())))
        .limit(1);
      return row
        ? {
            sub: row.sub,
            name: row.name,
            accessToken: row.accessToken,
            csrfToken: row.csrfToken,
            expiresAt: row.expiresAt,
          }
        : undefined;
    },

    /** Ends a session: its cookie value signs no one in from now on. */
    async delete(id: string): Promise<void> {
      await db.delete(webSessions).where(eq(webSessions.idHash, sha256(id)));
    },
  };
}

export type WebSessionStore = ReturnType<typeof webSessionStore>;

/**
 * Deletes expired web sessions, and invites that expired or were revoked more than a day ago
 * (kept that long so the owner's list and the audit trail line up), in one pass each.
 */
export async function pruneWebState(db: AppDatabase, now = new Date()): Promise<number> {
  const sessions = await db
    .delete(webSessions)
    .where(lt(webSessions.expiresAt, now))
    .returning({ id: webSessions.idHash });
  const dayAgo = new Date(now.getTime() - 86_400_000);
  const stale = db
    .select({ id: groupInvites.id })
    .from(groupInvites)
    .where(
      or(
        lt(groupInvites.expiresAt, dayAgo),
        and(isNotNull(groupInvites.revokedAt), lt(groupInvites.revokedAt, dayAgo)),
      ),
    )
    .limit(1_000);
  const invites = await db
    .delete(groupInvites)
    .where(inArray(groupInvites.id, stale))
    .returning({ id: groupInvites.id });
  return sessions.length + invites.length;
}
