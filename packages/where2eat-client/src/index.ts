export { createWhere2eatClient, DEFAULT_TIMEOUT_MS } from './client.js';
export type { Where2eatClientErrorCode, Where2eatClientErrorInit } from './errors.js';
export { Where2eatClientError } from './errors.js';
export type {
  AddMemberInput,
  CallOptions,
  CreateGroupInput,
  CreateOptions,
  Cuisine,
  FieldError,
  Group,
  GroupList,
  GroupSummary,
  ListGroupsInput,
  Member,
  PreferencesInput,
  Problem,
  RankedCuisine,
  Recommendation,
  RecommendationReason,
  Restaurant,
  Suggestions,
  Where2eatClient,
  Where2eatClientOptions,
} from './types.js';
