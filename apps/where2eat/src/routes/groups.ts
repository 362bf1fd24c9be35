import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import { audit } from '@micro-app/auth';
import { HttpProblem, validationHook } from '@micro-app/server';
import type { Context } from 'hono';
import type { Cuisine } from '../domain/cuisines.js';
import { type Algorithm, recommend } from '../domain/recommend.js';
import type { GroupRow, GroupWithMembers, MemberRow } from '../groups/repository.js';
import type { AppEnv, Caller } from '../http/types.js';
import {
  AddMemberBody,
  CreateGroupBody,
  commonErrors,
  createdResponse,
  GroupIdParams,
  GroupListSchema,
  GroupSchema,
  idempotencyHeader,
  jsonResponse,
  ListGroupsQuery,
  MemberIdParams,
  MemberSchema,
  noContentResponse,
  PreferencesBody,
  problem,
  RecommendationSchema,
  RenameGroupBody,
  type SuggestionsSchema,
} from './schemas.js';
import { scoped } from './scopes.js';

export interface GroupRoutesOptions {
  /** Picks the recommendation algorithm for a request (a feature flag in where2eat). Default: always `v1`. */
  chooseAlgorithm?: (c: Context<AppEnv>) => Algorithm;
  /** Restaurant suggestions for a recommended cuisine, or `undefined` for none. Default: none. */
  suggest?: (c: Context<AppEnv>, cuisine: Cuisine) => Promise<Suggestions | undefined>;
}

export type Suggestions = z.infer<typeof SuggestionsSchema>;

const json = jsonResponse;
/** A required JSON request body of `schema`. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const groupNotFound = () =>
  new HttpProblem({ status: 404, slug: 'group-not-found', title: 'Group not found' });
const memberNotFound = () =>
  new HttpProblem({ status: 404, slug: 'member-not-found', title: 'Member not found' });
const forbidden = (detail: string) =>
  new HttpProblem({ status: 403, slug: 'forbidden', title: 'Forbidden', detail });

/** A member as the API answers it. */
export const toMember = (m: MemberRow) => ({
  id: m.id,
  name: m.name,
  userSub: m.userSub,
  likes: m.likes,
  vetoes: m.vetoes,
});
const toGroupSummary = (g: GroupRow) => ({
  id: g.id,
  name: g.name,
  ownerSub: g.ownerSub,
  createdAt: g.createdAt.toISOString(),
  updatedAt: g.updatedAt.toISOString(),
});
const toGroup = (g: GroupWithMembers) => ({
  ...toGroupSummary(g),
  members: g.members.map(toMember),
});

async function groupFor(c: Context<AppEnv>, groupId: string): Promise<GroupWithMembers> {
  const group = await c.get('groups').find(groupId);
  if (!group) throw groupNotFound();
  return group;
}

/** 403 unless `caller` owns `group`: "Only the group's owner may <action>." */
export function requireOwner(group: GroupRow, caller: Caller, action: string): void {
  if (group.ownerSub !== caller.sub) throw forbidden(`Only the group's owner may ${action}.`);
}

const tags = ['groups'];

/** 409 of a POST whose Idempotency-Key is still being processed by an earlier request. */
const inProgress = problem(
  'A request with the same Idempotency-Key is still in progress; retry after `Retry-After` seconds.',
  ['Retry-After'],
);
const read = scoped('groups:read');
const write = scoped('groups:write');

/** The `/v1/groups` API. */
export function groupRoutes(options: GroupRoutesOptions = {}) {
  const { chooseAlgorithm = () => 'v1', suggest } = options;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/groups',
      tags,
      ...write,
      operationId: 'createGroup',
      summary: 'Create a group; the caller becomes its owner',
      description:
        "Creates an empty group in the caller's tenant. Send an `Idempotency-Key` to make retries safe: a retry replays the first answer (`Idempotent-Replayed: true`) instead of creating a second group. Group creation has its own, stricter rate limit.",
      request: { headers: idempotencyHeader, body: jsonBody(CreateGroupBody) },
      responses: {
        201: createdResponse(GroupSchema, 'Created.'),
        ...commonErrors,
        409: inProgress,
      },
    }),
    async (c) => {
      const { name } = c.req.valid('json');
      const group = await c.get('groups').create(name);
      c.header('Location', `/v1/groups/${group.id}`);
      return c.json({ ...toGroupSummary(group), members: [] }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/groups',
      tags,
      ...read,
      operationId: 'listGroups',
      summary: "List the caller's tenant's groups, newest first",
      description:
        "A page of the groups of the caller's tenant, without their members; page with `limit` and `offset`.",
      request: { query: ListGroupsQuery },
      responses: { 200: json(GroupListSchema, 'A page of groups.'), ...commonErrors },
    }),
    async (c) => {
      const page = c.req.valid('query');
      const rows = await c.get('groups').list(page);
      return c.json({ items: rows.map(toGroupSummary), ...page }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/groups/{groupId}',
      tags,
      ...read,
      operationId: 'getGroup',
      summary: 'Get a group with its members and their preferences',
      description: 'A group of another tenant answers 404, as one that does not exist.',
      request: { params: GroupIdParams },
      responses: { 200: json(GroupSchema, 'The group.'), ...commonErrors },
    }),
    async (c) => c.json(toGroup(await groupFor(c, c.req.valid('param').groupId)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/groups/{groupId}',
      tags,
      ...write,
      operationId: 'renameGroup',
      summary: 'Rename a group (owner only)',
      description: "Only the group's owner may rename it; anyone else in the tenant gets 403.",
      request: { params: GroupIdParams, body: jsonBody(RenameGroupBody) },
      responses: {
        200: json(GroupSchema, 'Renamed.'),
        ...commonErrors,
        403: problem('Not allowed for the caller, the token lacks the scope, or names no tenant.'),
      },
    }),
    async (c) => {
      const group = await groupFor(c, c.req.valid('param').groupId);
      requireOwner(group, c.get('caller'), 'rename it');
      const renamed = await c.get('groups').rename(group.id, c.req.valid('json').name);
      if (!renamed) throw groupNotFound();
      audit(c, 'group.renamed', { groupId: group.id });
      return c.json(toGroup({ ...renamed, members: group.members }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/groups/{groupId}',
      tags,
      ...write,
      operationId: 'deleteGroup',
      summary: 'Delete a group and its members (owner only)',
      description:
        'Deletes the group with its members and their preferences; an audit line records it.',
      request: { params: GroupIdParams },
      responses: {
        204: noContentResponse('Deleted.'),
        ...commonErrors,
        403: problem('Not allowed for the caller, the token lacks the scope, or names no tenant.'),
      },
    }),
    async (c) => {
      const group = await groupFor(c, c.req.valid('param').groupId);
      requireOwner(group, c.get('caller'), 'delete it');
      if (!(await c.get('groups').delete(group.id))) throw groupNotFound();
      audit(c, 'group.deleted', { groupId: group.id, members: group.members.length });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/groups/{groupId}/members',
      tags,
      ...write,
      operationId: 'addMember',
      summary: 'Add a member: the owner adds anyone, others may add only themselves',
      description:
        'Omit `userSub` to join as the caller; `null` adds a guest without an account, whom the owner votes for. A user is a member at most once (409). Send an `Idempotency-Key` to make retries safe.',
      request: { params: GroupIdParams, headers: idempotencyHeader, body: jsonBody(AddMemberBody) },
      responses: {
        201: createdResponse(MemberSchema, 'Added.'),
        ...commonErrors,
        403: problem('Not allowed for the caller, the token lacks the scope, or names no tenant.'),
        409: problem(
          'That user is already a member, or a request with the same Idempotency-Key is still in progress (then retry after `Retry-After` seconds).',
          ['Retry-After'],
        ),
      },
    }),
    async (c) => {
      const group = await groupFor(c, c.req.valid('param').groupId);
      const body = c.req.valid('json');
      // Omitted: the caller joins; null: a guest without an account, whom the owner votes for.
      const userSub = body.userSub === undefined ? c.get('caller').sub : body.userSub;
      const { name } = body;
      if (group.ownerSub !== c.get('caller').sub && userSub !== c.get('caller').sub) {
        throw forbidden('Only the owner may add other people; you may add yourself.');
      }
      const member = await c.get('groups').addMember(group.id, { name, userSub });
      if (!member) {
        throw new HttpProblem({
          status: 409,
          slug: 'already-a-member',
          title: 'Already a member',
          detail: 'That user is already a member of this group.',
        });
      }
      c.header('Location', `/v1/groups/${group.id}/members/${member.id}`);
      return c.json(toMember(member), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/groups/{groupId}/members/{memberId}',
      tags,
      ...write,
      operationId: 'removeMember',
      summary: 'Remove a member (the owner, or the member themself)',
      description: 'The owner removes anyone; a member may remove only themself.',
      request: { params: MemberIdParams },
      responses: {
        204: noContentResponse('Removed.'),
        ...commonErrors,
        403: problem('Not allowed for the caller, the token lacks the scope, or names no tenant.'),
      },
    }),
    async (c) => {
      const { groupId, memberId } = c.req.valid('param');
      const group = await groupFor(c, groupId);
      const member = group.members.find((m) => m.id === memberId);
      if (!member) throw memberNotFound();
      if (group.ownerSub !== c.get('caller').sub && member.userSub !== c.get('caller').sub) {
        throw forbidden('Only the owner or the member themself may remove a member.');
      }
      if (!(await c.get('groups').removeMember(group.id, memberId))) throw memberNotFound();
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/groups/{groupId}/members/{memberId}/preferences',
      tags,
      ...write,
      operationId: 'setPreferences',
      summary: "Record a member's likes (most wanted first) and vetoes",
      description:
        'A member with an account votes only for themself; the owner votes for members without one.',
      request: { params: MemberIdParams, body: jsonBody(PreferencesBody) },
      responses: {
        200: json(MemberSchema, 'Recorded.'),
        ...commonErrors,
        403: problem('Not allowed for the caller, the token lacks the scope, or names no tenant.'),
      },
    }),
    async (c) => {
      const { groupId, memberId } = c.req.valid('param');
      const group = await groupFor(c, groupId);
      const member = group.members.find((m) => m.id === memberId);
      if (!member) throw memberNotFound();
      const caller = c.get('caller');
      const mayVote =
        member.userSub === caller.sub || (member.userSub === null && group.ownerSub === caller.sub);
      if (!mayVote) throw forbidden('Only the member themself may record their preferences.');
      const updated = await c.get('groups').setPreferences(group.id, memberId, c.req.valid('json'));
      if (!updated) throw memberNotFound();
      return c.json(toMember(updated), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/groups/{groupId}/recommendation',
      tags,
      ...read,
      operationId: 'getRecommendation',
      summary: "The group's recommended cuisine, with the full ranking",
      description:
        "Scores every cuisine from the members' likes (earlier is stronger) and drops any a member vetoed; `reason` says why there is no cuisine when there is none.",
      request: { params: GroupIdParams },
      responses: { 200: json(RecommendationSchema, 'The recommendation.'), ...commonErrors },
    }),
    async (c) => {
      const group = await groupFor(c, c.req.valid('param').groupId);
      const result = recommend(
        group.members.map((m) => ({ memberId: m.id, likes: m.likes, vetoes: m.vetoes })),
        chooseAlgorithm(c),
      );
      const suggestions = result.cuisine && suggest ? await suggest(c, result.cuisine) : undefined;
      return c.json({ groupId: group.id, ...result, ...(suggestions ? { suggestions } : {}) }, 200);
    },
  );

  return app;
}
