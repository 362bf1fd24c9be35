// The where2eat API as this client sees it. Written here, not imported from the app: the
// client's Pact tests, verified by the app, are what keeps the two in step.

/** A cuisine a member can like or veto (`GET /v1/cuisines` lists them). */
export type Cuisine =
  | 'american'
  | 'chinese'
  | 'ethiopian'
  | 'french'
  | 'greek'
  | 'indian'
  | 'italian'
  | 'japanese'
  | 'korean'
  | 'lebanese'
  | 'mexican'
  | 'spanish'
  | 'thai'
  | 'turkish'
  | 'vegan'
  | 'vietnamese';

/** A member of a group and their stated preferences. */
export interface Member {
  id: string;
  name: string;
  /** Subject of the user this member is; `null` for a guest without an account. */
  userSub: string | null;
  /** Most wanted first. */
  likes: Cuisine[];
  vetoes: Cuisine[];
}

/** A group as listed: without its members. */
export interface GroupSummary {
  id: string;
  name: string;
  /** Subject of the user who created the group; only they may rename or delete it. */
  ownerSub: string;
  /** ISO 8601 timestamp. */
  createdAt: string;
  /** ISO 8601 timestamp. */
  updatedAt: string;
}

/** A group with its members. */
export interface Group extends GroupSummary {
  members: Member[];
}

/** One page of the caller's tenant's groups, newest first. */
export interface GroupList {
  items: GroupSummary[];
  limit: number;
  offset: number;
}

/** One cuisine in a recommendation's ranking. */
export interface RankedCuisine {
  cuisine: Cuisine;
  score: number;
  /** How many members listed it among their likes. */
  likedBy: number;
}

/** Why a recommendation picked what it picked. */
export type RecommendationReason = 'best-score' | 'no-members' | 'all-vetoed' | 'no-preferences';

/** A group's recommended cuisine with the full ranking. */
export interface Recommendation {
  groupId: string;
  algorithm: 'v1' | 'v2';
  /** The pick; `null` when the group has no members or every cuisine is vetoed. */
  cuisine: Cuisine | null;
  reason: RecommendationReason;
  /** Every cuisine nobody vetoed, best first. */
  ranking: RankedCuisine[];
  vetoed: Cuisine[];
  /** Restaurants for the cuisine, when the app's `restaurant-suggestions` flag is on. */
  suggestions?: Suggestions;
}

/** A restaurant suggested for a cuisine. */
export interface Restaurant {
  name: string;
  address?: string;
}

/** Restaurant suggestions; `status` says why `restaurants` is empty when it is not `ok`. */
export interface Suggestions {
  status: 'ok' | 'budget-exhausted' | 'circuit-open' | 'bulkhead-full' | 'timeout' | 'failed';
  source?: 'provider' | 'cache';
  restaurants: Restaurant[];
}

/** One field that failed validation (in a 422 problem). */
export interface FieldError {
  /** Dotted path of the field, prefixed with where it came from, e.g. `body.name`. */
  path: string;
  message: string;
  /** Machine-readable reason when the server gives one (e.g. `too_small`). */
  code?: string;
}

/** An RFC 9457 `application/problem+json` body, as where2eat sends on every error. */
export interface Problem {
  /** Stable URI of the problem type, e.g. `urn:problem-type:group-not-found`. */
  type: string;
  title: string;
  status?: number;
  detail?: string;
  instance?: string;
  /** The request id, to quote when reporting a problem. */
  requestId?: string;
  /** Present on validation problems (422): one entry per field. */
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** An invite link of a group, without its token (`GET /v1/groups/{groupId}/invites`). */
export interface Invite {
  id: string;
  groupId: string;
  /** Subject of the owner who made it. */
  createdBy: string;
  /** RFC 3339; the link stops working then. */
  expiresAt: string;
  createdAt: string;
}

/** A new invite with its token: the only answer that carries it. */
export interface CreatedInvite extends Invite {
  /** The capability the link carries (43 URL-safe characters). */
  token: string;
}

/** What {@link Where2eatClient.acceptInvite} answers: the group joined and the caller's membership. */
export interface AcceptedInvite {
  groupId: string;
  member: Member;
}

/** Body of {@link Where2eatClient.createInvite}. */
export interface CreateInviteInput {
  /** 1 to 720. Server default: 72. */
  expiresInHours?: number;
}

/** Body of {@link Where2eatClient.acceptInvite}. */
export interface AcceptInviteInput {
  /** The token of the invite link. */
  token: string;
  /** The name the caller joins under: 1 to 80 characters after trimming. */
  name: string;
}

/** Body of {@link Where2eatClient.createGroup}. */
export interface CreateGroupInput {
  /** 1 to 80 characters after trimming. */
  name: string;
}

/** Body of {@link Where2eatClient.addMember}. */
export interface AddMemberInput {
  /** 1 to 80 characters after trimming. */
  name: string;
  /**
   * Omitted: the caller joins. `null`: a guest without an account, whom the owner votes for.
   * A string: that user (only the owner may add someone else).
   */
  userSub?: string | null;
}

/** Body of {@link Where2eatClient.setPreferences}. */
export interface PreferencesInput {
  /** Most wanted first; no repeats. */
  likes: Cuisine[];
  /** No repeats, and none that is also liked. */
  vetoes: Cuisine[];
}

/** Paging of {@link Where2eatClient.listGroups}. */
export interface ListGroupsInput {
  /** 1 to 100. Server default: 20. */
  limit?: number;
  /** 0 to 10 000. Server default: 0. */
  offset?: number;
}

/** Per-call options of every method. */
export interface CallOptions {
  /** Cancels the call; it then rejects with code `aborted`. */
  signal?: AbortSignal;
}

/** Per-call options of the POST methods, which the API makes safe to retry. */
export interface CreateOptions extends CallOptions {
  /**
   * Sent as `Idempotency-Key`: a retry with the same key (and the same body) replays the first
   * answer instead of creating a second group or member. 1 to 255 visible ASCII characters.
   */
  idempotencyKey?: string;
}

/** Options of {@link createWhere2eatClient}. */
export interface Where2eatClientOptions {
  /** Where the API is served, e.g. `https://where2eat.example.com` (paths start with `/v1`). */
  baseUrl: string | URL;
  /**
   * Returns the bearer token for each call. An empty string sends the call without
   * `Authorization` (signed out); the API then answers 401 (code `unauthorized`).
   */
  getToken: () => string | Promise<string>;
  /** The `fetch` to call. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Longest wait for one call, headers and body, before it fails with code `timeout`. Default: `10000`. */
  timeoutMs?: number;
}

/** The where2eat API, one method per route. Every method throws {@link Where2eatClientError}. */
export interface Where2eatClient {
  /** `GET /v1/cuisines`: the cuisines members can like or veto. */
  listCuisines(options?: CallOptions): Promise<Cuisine[]>;
  /** `POST /v1/groups`: creates a group owned by the caller (no members yet). */
  createGroup(input: CreateGroupInput, options?: CreateOptions): Promise<Group>;
  /** `GET /v1/groups`: a page of the caller's tenant's groups, newest first. */
  listGroups(page?: ListGroupsInput, options?: CallOptions): Promise<GroupList>;
  /** `GET /v1/groups/{groupId}`: a group with its members. */
  getGroup(groupId: string, options?: CallOptions): Promise<Group>;
  /** `PATCH /v1/groups/{groupId}`: renames a group (owner only). */
  renameGroup(groupId: string, name: string, options?: CallOptions): Promise<Group>;
  /** `DELETE /v1/groups/{groupId}`: deletes a group and its members (owner only). */
  deleteGroup(groupId: string, options?: CallOptions): Promise<void>;
  /** `POST /v1/groups/{groupId}/members`: adds a member (the owner adds anyone, others themself). */
  addMember(groupId: string, input: AddMemberInput, options?: CreateOptions): Promise<Member>;
  /** `DELETE /v1/groups/{groupId}/members/{memberId}`: removes a member (owner or themself). */
  removeMember(groupId: string, memberId: string, options?: CallOptions): Promise<void>;
  /** `PUT /v1/groups/{groupId}/members/{memberId}/preferences`: records likes and vetoes. */
  setPreferences(
    groupId: string,
    memberId: string,
    preferences: PreferencesInput,
    options?: CallOptions,
  ): Promise<Member>;
  /** `GET /v1/groups/{groupId}/recommendation`: the pick and the full ranking. */
  getRecommendation(groupId: string, options?: CallOptions): Promise<Recommendation>;
  /** `POST /v1/groups/{groupId}/invites`: a new invite link token (owner only). */
  createInvite(
    groupId: string,
    input?: CreateInviteInput,
    options?: CallOptions,
  ): Promise<CreatedInvite>;
  /** `GET /v1/groups/{groupId}/invites`: the usable invites, newest first (owner only). */
  listInvites(groupId: string, options?: CallOptions): Promise<Invite[]>;
  /** `DELETE /v1/groups/{groupId}/invites/{inviteId}`: revokes an invite link (owner only). */
  revokeInvite(groupId: string, inviteId: string, options?: CallOptions): Promise<void>;
  /**
   * `POST /v1/invites/accept`: joins the invite's group as the caller (or answers the existing
   * membership). An unknown, expired, revoked or other tenant's token fails with code `not_found`.
   */
  acceptInvite(input: AcceptInviteInput, options?: CallOptions): Promise<AcceptedInvite>;
}
