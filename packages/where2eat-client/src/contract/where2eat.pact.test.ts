import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MatchersV3, PactV4 } from '@pact-foundation/pact';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWhere2eatClient } from '../client.js';
import type { Where2eatClient } from '../types.js';

// Pact's native core reports anonymous usage unless told not to: tests never phone home.
process.env.PACT_DO_NOT_TRACK ??= 'true';

// Consumer contract of this client with the where2eat API. Every interaction runs the real client
// against Pact's mock server; the pact file written here is what where2eat verifies against the
// real app (apps/where2eat/src/contract). Provider states name the data the app must hold and pass
// the ids as parameters, so the provider creates exactly these rows.

const { eachLike, integer, iso8601DateTimeWithMillis, number, regex, string, uuid } = MatchersV3;

/** `packages/where2eat-client/pacts`: git-ignored, an output of this package's turbo test task. */
const PACT_DIR = resolve(import.meta.dirname, '../../pacts');
const PACT_FILE = join(PACT_DIR, 'where2eat-client-where2eat.json');

const GROUP_ID = '5b2f1c7e-3d4a-4f6b-9c1d-2e8f7a6b5c4d';
const MISSING_GROUP_ID = '0c9e6f52-7d1b-4a3e-8f20-6b5d4c3a2918';
const MEMBER_ID = '8d7c6b5a-4e3f-4a2b-8c1d-0f9e8d7c6b5a';
const GUEST_ID = '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7';
const MISSING_MEMBER_ID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const INVITE_ID = '6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f';
const INVITE_TOKEN = 'pact-example-invite-token-0123456789abcdefg';

const STATE = {
  noGroups: 'no groups exist',
  tenantHasGroups: "the caller's tenant has groups",
  callerOwnsGroup: 'the caller owns a group',
  otherUserOwnsGroup: "another user of the caller's tenant owns a group",
  callerIsMember: 'the caller is a member of the group',
  guestMember: 'the group has a guest member',
  groupHasInvite: 'the group has an invite link',
} as const;

const TOKEN = 'consumer-example-token';
const withToken = { Authorization: regex('^Bearer \\S+$', `Bearer ${TOKEN}`) };
const jsonHeaders = { 'Content-Type': regex('^application/json', 'application/json') };
const problemHeaders = {
  'Content-Type': regex('^application/problem\\+json', 'application/problem+json'),
};
const timestamp = () => iso8601DateTimeWithMillis('2025-06-06T12:00:00.000Z');

const groupSummary = (name: string) => ({
  id: uuid(GROUP_ID),
  name: string(name),
  ownerSub: string('alice'),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
const memberOf = (fields: { id: string; name: string }) => ({
  id: fields.id,
  name: string(fields.name),
  userSub: string('alice'),
  likes: eachLike('thai'),
  vetoes: eachLike('french'),
});
const problem = (type: string, status: number, title: string) => ({
  type,
  title: string(title),
  status: integer(status),
});
const validationProblem = (path: string) => ({
  ...problem('urn:problem-type:validation-error', 422, 'Validation failed'),
  detail: string('1 field failed validation.'),
  errors: eachLike({ path: string(path), message: string('Too small') }),
});

const pact = new PactV4({
  consumer: 'where2eat-client',
  provider: 'where2eat',
  dir: PACT_DIR,
  logLevel: 'warn',
});

const clientFor = (url: string, token = TOKEN): Where2eatClient =>
  createWhere2eatClient({ baseUrl: url, getToken: () => token });

describe('where2eat-client ↔ where2eat contract', () => {
  beforeAll(() => {
    // Pact merges into an existing file: start fresh so removed interactions do not linger.
    rmSync(PACT_FILE, { force: true });
  });

  describe('cuisines', () => {
    it('lists the cuisines', async () => {
      await pact
        .addInteraction()
        .given(STATE.noGroups)
        .uponReceiving('a request for the cuisines')
        .withRequest('GET', '/v1/cuisines', (req) => req.headers(withToken))
        .willRespondWith(200, (res) =>
          res.headers(jsonHeaders).jsonBody({ items: eachLike('thai') }),
        )
        .executeTest(async (mock) => {
          expect(await clientFor(mock.url).listCuisines()).toEqual(['thai']);
        });
    });
  });

  describe('groups', () => {
    it('creates a group', async () => {
      await pact
        .addInteraction()
        .given(STATE.noGroups)
        .uponReceiving('a request to create a group')
        .withRequest('POST', '/v1/groups', (req) =>
          req.headers({ ...withToken, ...jsonHeaders }).jsonBody({ name: 'Friday lunch' }),
        )
        .willRespondWith(201, (res) =>
          res
            .headers({
              ...jsonHeaders,
              Location: regex('^/v1/groups/[0-9a-f-]{36}$', `/v1/groups/${GROUP_ID}`),
            })
            .jsonBody({ ...groupSummary('Friday lunch'), members: [] }),
        )
        .executeTest(async (mock) => {
          const group = await clientFor(mock.url).createGroup({ name: 'Friday lunch' });
          expect(group).toEqual({
            id: GROUP_ID,
            name: 'Friday lunch',
            ownerSub: 'alice',
            createdAt: '2025-06-06T12:00:00.000Z',
            updatedAt: '2025-06-06T12:00:00.000Z',
            members: [],
          });
        });
    });

    it('creates a group with an idempotency key', async () => {
      await pact
        .addInteraction()
        .given(STATE.noGroups)
        .uponReceiving('a request to create a group with an Idempotency-Key')
        .withRequest('POST', '/v1/groups', (req) =>
          req
            .headers({
              ...withToken,
              ...jsonHeaders,
              'Idempotency-Key': regex('^[\\x21-\\x7e]{1,255}$', 'create-friday-lunch-1'),
            })
            .jsonBody({ name: 'Friday lunch' }),
        )
        .willRespondWith(201, (res) =>
          res.headers(jsonHeaders).jsonBody({ ...groupSummary('Friday lunch'), members: [] }),
        )
        .executeTest(async (mock) => {
          const group = await clientFor(mock.url).createGroup(
            { name: 'Friday lunch' },
            { idempotencyKey: 'create-friday-lunch-1' },
          );
          expect(group.id).toBe(GROUP_ID);
        });
    });

    it('reports each invalid field of a new group (422)', async () => {
      await pact
        .addInteraction()
        .given(STATE.noGroups)
        .uponReceiving('a request to create a group with an empty name')
        .withRequest('POST', '/v1/groups', (req) =>
          req.headers({ ...withToken, ...jsonHeaders }).jsonBody({ name: '' }),
        )
        .willRespondWith(422, (res) =>
          res.headers(problemHeaders).jsonBody(validationProblem('body.name')),
        )
        .executeTest(async (mock) => {
          await expect(clientFor(mock.url).createGroup({ name: '' })).rejects.toMatchObject({
            name: 'Where2eatClientError',
            code: 'validation_failed',
            status: 422,
            problem: {
              type: 'urn:problem-type:validation-error',
              title: 'Validation failed',
              errors: [{ path: 'body.name', message: 'Too small' }],
            },
          });
        });
    });

    it('lists the first page of groups', async () => {
      await pact
        .addInteraction()
        .given(STATE.tenantHasGroups)
        .uponReceiving('a request for the first page of groups')
        .withRequest('GET', '/v1/groups', (req) => req.headers(withToken))
        .willRespondWith(200, (res) =>
          res.headers(jsonHeaders).jsonBody({
            items: eachLike(groupSummary('Friday lunch')),
            limit: integer(20),
            offset: integer(0),
          }),
        )
        .executeTest(async (mock) => {
          const page = await clientFor(mock.url).listGroups();
          expect(page.limit).toBe(20);
          expect(page.offset).toBe(0);
          expect(page.items).toEqual([
            expect.objectContaining({ id: GROUP_ID, name: 'Friday lunch', ownerSub: 'alice' }),
          ]);
        });
    });

    it('lists a page of groups with limit and offset', async () => {
      await pact
        .addInteraction()
        .given(STATE.tenantHasGroups)
        .uponReceiving('a request for a page of groups with limit and offset')
        .withRequest('GET', '/v1/groups', (req) =>
          req.headers(withToken).query({ limit: '1', offset: '1' }),
        )
        .willRespondWith(200, (res) =>
          res.headers(jsonHeaders).jsonBody({
            items: eachLike(groupSummary('Friday lunch')),
            limit: 1,
            offset: 1,
          }),
        )
        .executeTest(async (mock) => {
          const page = await clientFor(mock.url).listGroups({ limit: 1, offset: 1 });
          expect(page).toMatchObject({ limit: 1, offset: 1 });
          expect(page.items).toHaveLength(1);
        });
    });

    it('gets a group with its members', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.callerIsMember, {
          groupId: GROUP_ID,
          memberId: MEMBER_ID,
          likes: ['thai', 'indian'],
          vetoes: ['french'],
        })
        .uponReceiving('a request for a group')
        .withRequest('GET', `/v1/groups/${GROUP_ID}`, (req) => req.headers(withToken))
        .willRespondWith(200, (res) =>
          res.headers(jsonHeaders).jsonBody({
            ...groupSummary('Friday lunch'),
            id: GROUP_ID,
            members: eachLike(memberOf({ id: MEMBER_ID, name: 'Alice' })),
          }),
        )
        .executeTest(async (mock) => {
          const group = await clientFor(mock.url).getGroup(GROUP_ID);
          expect(group.id).toBe(GROUP_ID);
          expect(group.members).toEqual([
            { id: MEMBER_ID, name: 'Alice', userSub: 'alice', likes: ['thai'], vetoes: ['french'] },
          ]);
        });
    });

    it('reports a group that does not exist (404)', async () => {
      await pact
        .addInteraction()
        .given(STATE.noGroups)
        .uponReceiving('a request for a group that does not exist')
        .withRequest('GET', `/v1/groups/${MISSING_GROUP_ID}`, (req) => req.headers(withToken))
        .willRespondWith(404, (res) =>
          res
            .headers(problemHeaders)
            .jsonBody(problem('urn:problem-type:group-not-found', 404, 'Group not found')),
        )
        .executeTest(async (mock) => {
          await expect(clientFor(mock.url).getGroup(MISSING_GROUP_ID)).rejects.toMatchObject({
            code: 'not_found',
            status: 404,
            problem: { type: 'urn:problem-type:group-not-found', title: 'Group not found' },
          });
        });
    });

    it('reports a call without a token (401)', async () => {
      await pact
        .addInteraction()
        .given(STATE.noGroups)
        .uponReceiving('a request for the groups without a token')
        .withRequest('GET', '/v1/groups')
        .willRespondWith(401, (res) =>
          res
            .headers({ ...problemHeaders, 'WWW-Authenticate': regex('^Bearer', 'Bearer') })
            .jsonBody(problem('urn:problem-type:unauthorized', 401, 'Unauthorized')),
        )
        .executeTest(async (mock) => {
          await expect(clientFor(mock.url, '').listGroups()).rejects.toMatchObject({
            code: 'unauthorized',
            status: 401,
            problem: { type: 'urn:problem-type:unauthorized' },
          });
        });
    });

    it('renames a group', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.callerIsMember, {
          groupId: GROUP_ID,
          memberId: MEMBER_ID,
          likes: ['thai'],
          vetoes: ['french'],
        })
        .uponReceiving('a request to rename a group')
        .withRequest('PATCH', `/v1/groups/${GROUP_ID}`, (req) =>
          req.headers({ ...withToken, ...jsonHeaders }).jsonBody({ name: 'Saturday brunch' }),
        )
        .willRespondWith(200, (res) =>
          res.headers(jsonHeaders).jsonBody({
            ...groupSummary('Saturday brunch'),
            id: GROUP_ID,
            name: 'Saturday brunch',
            members: eachLike(memberOf({ id: MEMBER_ID, name: 'Alice' })),
          }),
        )
        .executeTest(async (mock) => {
          const group = await clientFor(mock.url).renameGroup(GROUP_ID, 'Saturday brunch');
          expect(group).toMatchObject({ id: GROUP_ID, name: 'Saturday brunch' });
        });
    });

    it("reports renaming someone else's group (403)", async () => {
      await pact
        .addInteraction()
        .given(STATE.otherUserOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .uponReceiving("a request to rename another user's group")
        .withRequest('PATCH', `/v1/groups/${GROUP_ID}`, (req) =>
          req.headers({ ...withToken, ...jsonHeaders }).jsonBody({ name: 'Mine now' }),
        )
        .willRespondWith(403, (res) =>
          res.headers(problemHeaders).jsonBody({
            ...problem('urn:problem-type:forbidden', 403, 'Forbidden'),
            detail: string("Only the group's owner may rename it."),
          }),
        )
        .executeTest(async (mock) => {
          await expect(clientFor(mock.url).renameGroup(GROUP_ID, 'Mine now')).rejects.toMatchObject(
            {
              code: 'forbidden',
              status: 403,
              problem: { type: 'urn:problem-type:forbidden' },
            },
          );
        });
    });

    it('deletes a group', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .uponReceiving('a request to delete a group')
        .withRequest('DELETE', `/v1/groups/${GROUP_ID}`, (req) => req.headers(withToken))
        .willRespondWith(204)
        .executeTest(async (mock) => {
          await expect(clientFor(mock.url).deleteGroup(GROUP_ID)).resolves.toBeUndefined();
        });
    });
  });

  describe('members', () => {
    it('adds the caller as a member', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .uponReceiving('a request to join a group')
        .withRequest('POST', `/v1/groups/${GROUP_ID}/members`, (req) =>
          req.headers({ ...withToken, ...jsonHeaders }).jsonBody({ name: 'Alice' }),
        )
        .willRespondWith(201, (res) =>
          res
            .headers({
              ...jsonHeaders,
              Location: regex(
                `^/v1/groups/${GROUP_ID}/members/[0-9a-f-]{36}$`,
                `/v1/groups/${GROUP_ID}/members/${MEMBER_ID}`,
              ),
            })
            .jsonBody({
              id: uuid(MEMBER_ID),
              name: 'Alice',
              userSub: string('alice'),
              likes: [],
              vetoes: [],
            }),
        )
        .executeTest(async (mock) => {
          const member = await clientFor(mock.url).addMember(GROUP_ID, { name: 'Alice' });
          expect(member).toEqual({
            id: MEMBER_ID,
            name: 'Alice',
            userSub: 'alice',
            likes: [],
            vetoes: [],
          });
        });
    });

    it('adds a guest without an account, with an idempotency key', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .uponReceiving('a request to add a guest')
        .withRequest('POST', `/v1/groups/${GROUP_ID}/members`, (req) =>
          req
            .headers({
              ...withToken,
              ...jsonHeaders,
              'Idempotency-Key': regex('^[\\x21-\\x7e]{1,255}$', 'add-guest-1'),
            })
            .jsonBody({ name: 'Guest', userSub: null }),
        )
        .willRespondWith(201, (res) =>
          res.headers(jsonHeaders).jsonBody({
            id: uuid(GUEST_ID),
            name: 'Guest',
            userSub: null,
            likes: [],
            vetoes: [],
          }),
        )
        .executeTest(async (mock) => {
          const member = await clientFor(mock.url).addMember(
            GROUP_ID,
            { name: 'Guest', userSub: null },
            { idempotencyKey: 'add-guest-1' },
          );
          expect(member).toEqual({
            id: GUEST_ID,
            name: 'Guest',
            userSub: null,
            likes: [],
            vetoes: [],
          });
        });
    });

    it('reports joining a group twice (409)', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.callerIsMember, { groupId: GROUP_ID, memberId: MEMBER_ID })
        .uponReceiving('a request to join a group the caller is already in')
        .withRequest('POST', `/v1/groups/${GROUP_ID}/members`, (req) =>
          req.headers({ ...withToken, ...jsonHeaders }).jsonBody({ name: 'Alice' }),
        )
        .willRespondWith(409, (res) =>
          res
            .headers(problemHeaders)
            .jsonBody(problem('urn:problem-type:already-a-member', 409, 'Already a member')),
        )
        .executeTest(async (mock) => {
          await expect(
            clientFor(mock.url).addMember(GROUP_ID, { name: 'Alice' }),
          ).rejects.toMatchObject({
            code: 'conflict',
            status: 409,
            problem: { type: 'urn:problem-type:already-a-member' },
          });
        });
    });

    it('removes a member', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.guestMember, { groupId: GROUP_ID, memberId: GUEST_ID })
        .uponReceiving('a request to remove a member')
        .withRequest('DELETE', `/v1/groups/${GROUP_ID}/members/${GUEST_ID}`, (req) =>
          req.headers(withToken),
        )
        .willRespondWith(204)
        .executeTest(async (mock) => {
          await expect(
            clientFor(mock.url).removeMember(GROUP_ID, GUEST_ID),
          ).resolves.toBeUndefined();
        });
    });

    it("records a member's preferences", async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.callerIsMember, { groupId: GROUP_ID, memberId: MEMBER_ID })
        .uponReceiving('a request to record preferences')
        .withRequest('PUT', `/v1/groups/${GROUP_ID}/members/${MEMBER_ID}/preferences`, (req) =>
          req
            .headers({ ...withToken, ...jsonHeaders })
            .jsonBody({ likes: ['thai', 'indian'], vetoes: ['french'] }),
        )
        .willRespondWith(200, (res) =>
          res.headers(jsonHeaders).jsonBody({
            id: MEMBER_ID,
            name: string('Alice'),
            userSub: string('alice'),
            likes: ['thai', 'indian'],
            vetoes: ['french'],
          }),
        )
        .executeTest(async (mock) => {
          const member = await clientFor(mock.url).setPreferences(GROUP_ID, MEMBER_ID, {
            likes: ['thai', 'indian'],
            vetoes: ['french'],
          });
          expect(member).toEqual({
            id: MEMBER_ID,
            name: 'Alice',
            userSub: 'alice',
            likes: ['thai', 'indian'],
            vetoes: ['french'],
          });
        });
    });

    it('reports contradictory preferences (422)', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.callerIsMember, { groupId: GROUP_ID, memberId: MEMBER_ID })
        .uponReceiving('a request to both like and veto a cuisine')
        .withRequest('PUT', `/v1/groups/${GROUP_ID}/members/${MEMBER_ID}/preferences`, (req) =>
          req
            .headers({ ...withToken, ...jsonHeaders })
            .jsonBody({ likes: ['thai'], vetoes: ['thai'] }),
        )
        .willRespondWith(422, (res) =>
          res.headers(problemHeaders).jsonBody(validationProblem('body.vetoes')),
        )
        .executeTest(async (mock) => {
          await expect(
            clientFor(mock.url).setPreferences(GROUP_ID, MEMBER_ID, {
              likes: ['thai'],
              vetoes: ['thai'],
            }),
          ).rejects.toMatchObject({
            code: 'validation_failed',
            status: 422,
            problem: { errors: [{ path: 'body.vetoes' }] },
          });
        });
    });

    it('reports a member that does not exist (404)', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .uponReceiving('a request to record preferences of a member that does not exist')
        .withRequest(
          'PUT',
          `/v1/groups/${GROUP_ID}/members/${MISSING_MEMBER_ID}/preferences`,
          (req) =>
            req.headers({ ...withToken, ...jsonHeaders }).jsonBody({ likes: ['thai'], vetoes: [] }),
        )
        .willRespondWith(404, (res) =>
          res
            .headers(problemHeaders)
            .jsonBody(problem('urn:problem-type:member-not-found', 404, 'Member not found')),
        )
        .executeTest(async (mock) => {
          await expect(
            clientFor(mock.url).setPreferences(GROUP_ID, MISSING_MEMBER_ID, {
              likes: ['thai'],
              vetoes: [],
            }),
          ).rejects.toMatchObject({
            code: 'not_found',
            problem: { type: 'urn:problem-type:member-not-found' },
          });
        });
    });
  });

  describe('recommendation', () => {
    it("gets a group's recommendation", async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.callerIsMember, {
          groupId: GROUP_ID,
          memberId: MEMBER_ID,
          likes: ['thai', 'indian'],
          vetoes: ['french'],
        })
        .uponReceiving("a request for a group's recommendation")
        .withRequest('GET', `/v1/groups/${GROUP_ID}/recommendation`, (req) =>
          req.headers(withToken),
        )
        .willRespondWith(200, (res) =>
          res.headers(jsonHeaders).jsonBody({
            groupId: GROUP_ID,
            algorithm: regex('^(v1|v2)$', 'v1'),
            cuisine: string('thai'),
            reason: regex('^(best-score|no-members|all-vetoed|no-preferences)$', 'best-score'),
            ranking: eachLike({ cuisine: string('thai'), score: number(1), likedBy: integer(1) }),
            vetoed: eachLike('french'),
          }),
        )
        .executeTest(async (mock) => {
          const recommendation = await clientFor(mock.url).getRecommendation(GROUP_ID);
          expect(recommendation).toEqual({
            groupId: GROUP_ID,
            algorithm: 'v1',
            cuisine: 'thai',
            reason: 'best-score',
            ranking: [{ cuisine: 'thai', score: 1, likedBy: 1 }],
            vetoed: ['french'],
          });
        });
    });
  });

  describe('invites', () => {
    const invite = () => ({
      id: uuid(INVITE_ID),
      groupId: uuid(GROUP_ID),
      createdBy: string('alice'),
      expiresAt: timestamp(),
      createdAt: timestamp(),
    });

    it('creates an invite link token', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .uponReceiving('a request to create an invite link')
        .withRequest('POST', `/v1/groups/${GROUP_ID}/invites`, (req) =>
          req.headers({ ...withToken, ...jsonHeaders }).jsonBody({ expiresInHours: 24 }),
        )
        .willRespondWith(201, (res) =>
          res.headers(jsonHeaders).jsonBody({
            ...invite(),
            token: regex('^[A-Za-z0-9_-]{43}$', INVITE_TOKEN),
          }),
        )
        .executeTest(async (mock) => {
          const created = await clientFor(mock.url).createInvite(GROUP_ID, { expiresInHours: 24 });
          expect(created).toMatchObject({ groupId: GROUP_ID, token: INVITE_TOKEN });
        });
    });

    it("lists a group's invite links", async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.groupHasInvite, {
          groupId: GROUP_ID,
          inviteId: INVITE_ID,
          token: INVITE_TOKEN,
          createdBy: 'alice',
        })
        .uponReceiving("a request for a group's invite links")
        .withRequest('GET', `/v1/groups/${GROUP_ID}/invites`, (req) => req.headers(withToken))
        .willRespondWith(200, (res) =>
          res.headers(jsonHeaders).jsonBody({ items: eachLike(invite()) }),
        )
        .executeTest(async (mock) => {
          const invites = await clientFor(mock.url).listInvites(GROUP_ID);
          expect(invites).toEqual([expect.objectContaining({ id: INVITE_ID, groupId: GROUP_ID })]);
        });
    });

    it('revokes an invite link', async () => {
      await pact
        .addInteraction()
        .given(STATE.callerOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.groupHasInvite, {
          groupId: GROUP_ID,
          inviteId: INVITE_ID,
          token: INVITE_TOKEN,
          createdBy: 'alice',
        })
        .uponReceiving('a request to revoke an invite link')
        .withRequest('DELETE', `/v1/groups/${GROUP_ID}/invites/${INVITE_ID}`, (req) =>
          req.headers(withToken),
        )
        .willRespondWith(204)
        .executeTest(async (mock) => {
          await expect(
            clientFor(mock.url).revokeInvite(GROUP_ID, INVITE_ID),
          ).resolves.toBeUndefined();
        });
    });

    it("joins another user's group with an invite link", async () => {
      await pact
        .addInteraction()
        .given(STATE.otherUserOwnsGroup, { groupId: GROUP_ID, name: 'Friday lunch' })
        .given(STATE.groupHasInvite, {
          groupId: GROUP_ID,
          inviteId: INVITE_ID,
          token: INVITE_TOKEN,
          createdBy: 'bob',
        })
        .uponReceiving('a request to accept an invite link')
        .withRequest('POST', '/v1/invites/accept', (req) =>
          req
            .headers({ ...withToken, ...jsonHeaders })
            .jsonBody({ token: INVITE_TOKEN, name: 'Alice' }),
        )
        .willRespondWith(201, (res) =>
          res.headers(jsonHeaders).jsonBody({
            groupId: uuid(GROUP_ID),
            member: {
              id: uuid(MEMBER_ID),
              name: string('Alice'),
              userSub: string('alice'),
              likes: [],
              vetoes: [],
            },
          }),
        )
        .executeTest(async (mock) => {
          const joined = await clientFor(mock.url).acceptInvite({
            token: INVITE_TOKEN,
            name: 'Alice',
          });
          expect(joined).toEqual({
            groupId: GROUP_ID,
            member: { id: MEMBER_ID, name: 'Alice', userSub: 'alice', likes: [], vetoes: [] },
          });
        });
    });

    it('reports an unknown invite link (404)', async () => {
      await pact
        .addInteraction()
        .given(STATE.noGroups)
        .uponReceiving('a request to accept an unknown invite link')
        .withRequest('POST', '/v1/invites/accept', (req) =>
          req
            .headers({ ...withToken, ...jsonHeaders })
            .jsonBody({ token: INVITE_TOKEN, name: 'Alice' }),
        )
        .willRespondWith(404, (res) =>
          res
            .headers(problemHeaders)
            .jsonBody(problem('urn:problem-type:invite-not-found', 404, 'Invite not found')),
        )
        .executeTest(async (mock) => {
          await expect(
            clientFor(mock.url).acceptInvite({ token: INVITE_TOKEN, name: 'Alice' }),
          ).rejects.toMatchObject({
            code: 'not_found',
            problem: { type: 'urn:problem-type:invite-not-found' },
          });
        });
    });
  });
});
