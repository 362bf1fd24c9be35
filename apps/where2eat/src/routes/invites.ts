import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { audit } from '@micro-app/auth';
import { HttpProblem, validationHook } from '@micro-app/server';
import type { Context } from 'hono';
import type { InviteRow } from '../groups/repository.js';
import type { AppEnv } from '../http/types.js';
import { groupNotFound, jsonBody, requireOwner, toMember } from './groups.js';
import {
  AcceptedInviteSchema,
  AcceptInviteBody,
  CreatedInviteSchema,
  CreateInviteBody,
  commonErrors,
  createdResponse,
  GroupIdParams,
  INVITES_MAX,
  InviteIdParams,
  InviteListSchema,
  jsonResponse,
  noContentResponse,
  problem,
} from './schemas.js';
import { scoped } from './scopes.js';

const tags = ['invites'];
const read = scoped('groups:read');
const write = scoped('groups:write');

/** One answer for an unknown, expired, revoked or other tenant's token: a guess learns nothing. */
const inviteNotFound = () =>
  new HttpProblem({
    status: 404,
    slug: 'invite-not-found',
    title: 'Invite not found',
    detail: 'The invite link is unknown, expired or revoked.',
  });

const toInvite = (i: InviteRow) => ({
  id: i.id,
  groupId: i.groupId,
  createdBy: i.createdBy,
  expiresAt: i.expiresAt.toISOString(),
  createdAt: i.createdAt.toISOString(),
});

async function ownedGroup(c: Context<AppEnv>, groupId: string, action: string) {
  const group = await c.get('groups').find(groupId);
  if (!group) throw groupNotFound();
  requireOwner(group, c.get('caller'), action);
  return group;
}

const ownerForbidden = problem(
  "Not the group's owner, the token lacks the scope, or names no tenant.",
);

/**
 * Invite links: the owner makes a capability token for one group with an expiry and may revoke
 * it; a signed-in user of the group's tenant who holds it joins as themself. A token that is
 * unknown, expired, revoked or for another tenant answers the same 404.
 */
export function inviteRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/groups/{groupId}/invites',
      tags,
      ...write,
      operationId: 'createInvite',
      summary: 'Create an invite link token for a group (owner only)',
      description:
        'The answer is the only place the token appears: the app keeps its SHA-256. Share it as a link; it admits signed-in users of the same tenant until `expiresAt` or until revoked.',
      request: { params: GroupIdParams, body: jsonBody(CreateInviteBody) },
      responses: {
        201: createdResponse(CreatedInviteSchema, 'Created; `token` is shown this once.'),
        ...commonErrors,
        403: ownerForbidden,
      },
    }),
    async (c) => {
      const group = await ownedGroup(c, c.req.valid('param').groupId, 'invite people');
      const { expiresInHours } = c.req.valid('json');
      const created = await c
        .get('groups')
        .createInvite(group.id, new Date(Date.now() + expiresInHours * 3_600_000));
      if (!created) throw groupNotFound();
      audit(c, 'invite.created', { groupId: group.id, inviteId: created.invite.id });
      c.header('Location', `/v1/groups/${group.id}/invites/${created.invite.id}`);
      return c.json({ ...toInvite(created.invite), token: created.token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/groups/{groupId}/invites',
      tags,
      ...read,
      operationId: 'listInvites',
      summary: "A group's usable invites, newest first (owner only)",
      description: 'Invites not yet expired or revoked, without their tokens.',
      request: { params: GroupIdParams },
      responses: {
        200: jsonResponse(InviteListSchema, 'The usable invites.'),
        ...commonErrors,
        403: ownerForbidden,
      },
    }),
    async (c) => {
      const group = await ownedGroup(c, c.req.valid('param').groupId, 'see its invites');
      const rows = await c.get('groups').listInvites(group.id);
      return c.json({ items: rows.slice(0, INVITES_MAX).map(toInvite) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/groups/{groupId}/invites/{inviteId}',
      tags,
      ...write,
      operationId: 'revokeInvite',
      summary: 'Revoke an invite link (owner only)',
      description: 'The link stops working at once; members who joined with it stay.',
      request: { params: InviteIdParams },
      responses: {
        204: noContentResponse('Revoked.'),
        ...commonErrors,
        403: ownerForbidden,
      },
    }),
    async (c) => {
      const { groupId, inviteId } = c.req.valid('param');
      const group = await ownedGroup(c, groupId, 'revoke its invites');
      if (!(await c.get('groups').revokeInvite(group.id, inviteId))) throw inviteNotFound();
      audit(c, 'invite.revoked', { groupId: group.id, inviteId });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/invites/accept',
      tags,
      ...write,
      operationId: 'acceptInvite',
      summary: 'Join the group of an invite link as the caller',
      description:
        "Adds the caller as a member of the invite's group (201), or answers their membership when they already are one (200). An unknown, expired or revoked token, or one for another tenant, answers 404 alike.",
      request: { body: jsonBody(AcceptInviteBody) },
      responses: {
        200: jsonResponse(AcceptedInviteSchema, 'Already a member.'),
        201: createdResponse(AcceptedInviteSchema, 'Joined.'),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { token, name } = c.req.valid('json');
      const groups = c.get('groups');
      const group = await groups.findInvitedGroup(token);
      if (!group) throw inviteNotFound();
      const { sub } = c.get('caller');
      const added = await groups.addMember(group.id, { name, userSub: sub });
      if (added) {
        audit(c, 'invite.accepted', { groupId: group.id, memberId: added.id });
        c.header('Location', `/v1/groups/${group.id}/members/${added.id}`);
        return c.json({ groupId: group.id, member: toMember(added) }, 201);
      }
      const existing = (await groups.find(group.id))?.members.find((m) => m.userSub === sub);
      if (!existing) throw inviteNotFound();
      return c.json({ groupId: group.id, member: toMember(existing) }, 200);
    },
  );

  return app;
}
