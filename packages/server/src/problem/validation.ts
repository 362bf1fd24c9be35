import { type FieldError, problemResponse, problemType } from '@micro-app/problem';
import type { Context } from 'hono';

/** The part of a zod (or any standard-schema-like) issue the kit reads. */
export interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
}

/** Turns validator issues into field errors, prefixing where the value came from (`body`, `query` …). */
export function toFieldErrors(issues: readonly IssueLike[], target?: string): FieldError[] {
  return issues.map((issue) => {
    const path = [target, ...issue.path.map(String)].filter(Boolean).join('.');
    return { path, message: issue.message, ...(issue.code ? { code: issue.code } : {}) };
  });
}

/** A 422 `validation-error` problem response listing every field error. */
export function validationProblem(c: Context, errors: FieldError[]): Response {
  return problemResponse(c, {
    type: problemType('validation-error'),
    title: 'Validation failed',
    status: 422,
    detail: `${errors.length} field${errors.length === 1 ? '' : 's'} failed validation.`,
    errors,
  });
}

interface ValidationResultLike {
  success: boolean;
  target?: string;
  error?: { issues: readonly IssueLike[] };
}

/**
 * `defaultHook` for `@hono/zod-openapi` (or the hook of `@hono/zod-validator`): a failed
 * validation becomes a 422 problem with one entry per field.
 *
 * @example
 * const app = new OpenAPIHono({ defaultHook: validationHook });
 */
export function validationHook(result: ValidationResultLike, c: Context): Response | undefined {
  if (result.success || !result.error) return undefined;
  return validationProblem(c, toFieldErrors(result.error.issues, result.target));
}
