import { DEFAULT_USERS } from '@micro-app/dev-idp';
import type { VerifierOptions } from '@pact-foundation/pact';
import { groupInvites, groups, idempotencyKeys, members } from '../db/schema.js';
import type { Cuisine } from '../domain/cuisines.js';
import { hashInviteToken } from '../groups/repository.js';
import type { AppDatabase, Caller } from '../http/types.js';

// The data each provider state of the where2eat-client pact names. The consumer passes the ids
// it will use as state parameters; these handlers insert exactly those rows. The verifier sends
// every request with the token of the dev IdP's alice ("the caller").

function callerOf(username: string): Caller {
  const user = DEFAULT_USERS.find((u) => u.username === username);
  if (!user) throw new Error(`dev-idp has no seeded user ${username}`);
  return { sub: user.username, tenant: user.tenant };
}

/** The user whose token the verifier sends. */
export const CALLER = callerOf('alice');
/** Another user of the caller's tenant. */
const OTHER_USER = callerOf('bob');

type StateHandlers = NonNullable<VerifierOptions['stateHandlers']>;
type Params = Record<string, unknown> | undefined;

function text(params: Params, name: string): string {
  const value = params?.[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`provider state parameter ${name} must be a non-empty string`);
  }
  return value;
}

function cuisines(params: Params, name: string): Cuisine[] {
  const value = params?.[name] ?? [];
  if (!Array.isArray(value) || !value.every((c) => typeof c === 'string')) {
    throw new Error(`provider state parameter ${name} must be an array of cuisines`);
  }
  return value as Cuisine[];
}

/** Empties every table the API writes, so each interaction starts from its states alone. */
export async function clearData(db: AppDatabase): Promise<void> {
  await db.delete(idempotencyKeys);
  await db.delete(members);
  await db.delete(groups);
}

/** Pact state handlers, keyed by the state names the client's pact uses. */
export function providerStates(db: AppDatabase): StateHandlers {
  const insertGroup = async (params: Params, owner: Caller) => {
    await db.insert(groups).values({
      id: text(params, 'groupId'),
      name: text(params, 'name'),
      tenantId: owner.tenant,
      ownerSub: owner.sub,
    });
  };

  return {
    'no groups exist': async () => {
      // clearData runs before every interaction; check nothing is left.
      const left = await db.select({ id: groups.id }).from(groups);
      if (left.length > 0) throw new Error(`expected no groups, found ${left.length}`);
    },
    "the caller's tenant has groups": async () => {
      await db.insert(groups).values([
        { name: 'Friday lunch', tenantId: CALLER.tenant, ownerSub: CALLER.sub },
        { name: 'Team dinner', tenantId: CALLER.tenant, ownerSub: OTHER_USER.sub },
      ]);
    },
    'the caller owns a group': (params) => insertGroup(params as Params, CALLER),
    "another user of the caller's tenant owns a group": (params) =>
      insertGroup(params as Params, OTHER_USER),
    'the caller is a member of the group': async (params) => {
      const p = params as Params;
      await db.insert(members).values({
        id: text(p, 'memberId'),
        groupId: text(p, 'groupId'),
        name: 'Alice',
        userSub: CALLER.sub,
        likes: cuisines(p, 'likes'),
        vetoes: cuisines(p, 'vetoes'),
      });
    },
    'the group has an invite link': async (params) => {
      const p = params as Params;
      await db.insert(groupInvites).values({
        id: text(p, 'inviteId'),
        groupId: text(p, 'groupId'),
        tokenHash: hashInviteToken(text(p, 'token')),
        createdBy: text(p, 'createdBy'),
        expiresAt: new Date(Date.now() + 86_400_000),
      });
    },
    'the group has a guest member': async (params) => {
      const p = params as Params;
      await db.insert(members).values({
        id: text(p, 'memberId'),
        groupId: text(p, 'groupId'),
        name: 'Guest',
        userSub: null,
      });
    },
  };
}
