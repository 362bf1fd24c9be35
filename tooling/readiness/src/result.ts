import type { CheckId, CheckResult } from './types.js';

/** A green gate. */
export function pass(id: CheckId, reason: string, file?: string): CheckResult {
  return { id, pass: true, reason, ...(file ? { file } : {}) };
}

/** A red gate; `file` and `line` point CI annotations at the finding. */
export function fail(id: CheckId, reason: string, file?: string, line?: number): CheckResult {
  return { id, pass: false, reason, ...(file ? { file } : {}), ...(line ? { line } : {}) };
}
