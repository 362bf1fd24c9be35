import { DEFAULT_USERS } from '@micro-app/dev-idp';
import type { VerifierOptions } from '@pact-foundation/pact';
import { notes } from '../db/schema.js';
import type { AppDatabase, Caller } from '../http/types.js';

// The data each provider state of the pact names. The consumer passes the ids it uses as state
// parameters; these handlers insert exactly those rows. The verifier sends every request that
// carries a token with the token of the dev IdP's alice ("the caller").

function callerOf(username: string): Caller {
  const user = DEFAULT_USERS.find((u) => u.username === username);
  if (!user) throw new Error(`dev-idp has no seeded user ${username}`);
  return { sub: user.username, tenant: user.tenant };
}

/** The user whose token the verifier sends. */
export const CALLER = callerOf('alice');

type StateHandlers = NonNullable<VerifierOptions['stateHandlers']>;
type Params = Record<string, unknown> | undefined;

function text(params: Params, name: string): string {
  const value = params?.[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`provider state parameter ${name} must be a non-empty string`);
  }
  return value;
}

/** Empties every table the API writes, so each interaction starts from its states alone. */
export async function clearData(db: AppDatabase): Promise<void> {
  await db.delete(notes);
}

/** Pact state handlers, keyed by the state names the pact uses. */
export function providerStates(db: AppDatabase): StateHandlers {
  return {
    'no notes exist': async () => {
      // clearData runs before every interaction; check nothing is left.
      const left = await db.select({ id: notes.id }).from(notes);
      if (left.length > 0) throw new Error(`expected no notes, found ${left.length}`);
    },
    "the caller's tenant has a note": async (params) => {
      const p = params as Params;
      await db.insert(notes).values({
        id: text(p, 'noteId'),
        title: text(p, 'title'),
        body: typeof p?.body === 'string' ? p.body : '',
        tenantId: CALLER.tenant,
        authorSub: CALLER.sub,
      });
    },
  };
}
