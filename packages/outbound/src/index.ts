export type { OutboundErrorCode } from './errors.js';
export { OutboundError } from './errors.js';
export type {
  Outbound,
  OutboundFailure,
  OutboundOptions,
  OutboundResult,
  TenantUsage,
} from './outbound.js';
export { createOutbound } from './outbound.js';
export { RetryBudget } from './retry-budget.js';
