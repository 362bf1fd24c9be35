export type { FieldError, HttpProblemInit, ProblemDetails } from './problem.js';
export {
  HttpProblem,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  problemResponse,
  problemType,
} from './problem.js';
