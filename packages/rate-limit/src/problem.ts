import { problemType } from '@micro-app/problem';

/** Problem `type` of a request rejected by a rate-limit policy. */
export const RATE_LIMITED_TYPE = problemType('rate-limited');
/** Problem `type` of a request rejected because a quota is used up. */
export const QUOTA_EXHAUSTED_TYPE = problemType('quota-exhausted');
/** Problem `type` of a request rejected because the store failed and the policy is fail-closed. */
export const RATE_LIMIT_UNAVAILABLE_TYPE = problemType('rate-limit-unavailable');
