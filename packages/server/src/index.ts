export type { FieldError, HttpProblemInit, ProblemDetails } from '@micro-app/problem';
export {
  HttpProblem,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  problemResponse,
  problemType,
} from '@micro-app/problem';
export type { ServerErrorCode } from './errors.js';
export { ServerError } from './errors.js';
export type { GuardrailsOptions } from './guardrails/index.js';
export { guardrails } from './guardrails/index.js';
export type { HealthOptions, ReadinessCheck } from './health/index.js';
export { health } from './health/index.js';
export type { Lifecycle } from './lifecycle.js';
export { createLifecycle } from './lifecycle.js';
export type { ErrorHandlerOptions, ErrorMapper } from './problem/error-handler.js';
export {
  CLIENT_CLOSED_REQUEST,
  isClientAbort,
  problemErrorHandler,
  problemNotFoundHandler,
  statusProblem,
} from './problem/error-handler.js';
export type { IssueLike } from './problem/validation.js';
export { toFieldErrors, validationHook, validationProblem } from './problem/validation.js';
export type { KitLogger } from './types.js';
