import { FlagsError } from './errors.js';
import type { FlagDefinitions } from './types.js';

/** Unleash's flag name rule: URL-friendly characters, 1 to 100 of them. */
const FLAG_NAME = /^[A-Za-z0-9_.~-]{1,100}$/;

/**
 * Declares the flags of an app, once, with their description, owner and safe default. The
 * returned registry types every `isEnabled(name)` call: an undeclared name is a type error.
 *
 * @param definitions - flag name → `{ description, owner, default }`
 * @returns the same definitions, validated and frozen
 * @throws {FlagsError} `FLAGS_INVALID_DEFINITION` for a bad name, an empty description or
 *   owner, or a default that is not a boolean
 * @example
 * export const flagRegistry = defineFlags({
 *   'recommendation-v2': {
 *     description: 'Rank restaurants with the v2 algorithm',
 *     owner: 'team-dining',
 *     default: false,
 *   },
 * });
 */
export function defineFlags<const T extends FlagDefinitions>(definitions: T): T {
  validateDefinitions(definitions);
  const frozen: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    frozen[name] = Object.freeze({ ...definition });
  }
  return Object.freeze(frozen) as T;
}

/** Throws a {@link FlagsError} naming the first invalid definition. */
export function validateDefinitions(definitions: unknown): asserts definitions is FlagDefinitions {
  if (typeof definitions !== 'object' || definitions === null || Array.isArray(definitions)) {
    throw new FlagsError('FLAGS_INVALID_DEFINITION', 'flag definitions must be an object');
  }
  for (const [name, definition] of Object.entries(definitions)) {
    const where = `flag "${name}"`;
    if (!FLAG_NAME.test(name)) {
      throw new FlagsError(
        'FLAGS_INVALID_DEFINITION',
        `${where}: the name must be 1-100 characters of A-Z a-z 0-9 _ . ~ -`,
      );
    }
    if (typeof definition !== 'object' || definition === null) {
      throw new FlagsError(
        'FLAGS_INVALID_DEFINITION',
        `${where}: the definition must be an object`,
      );
    }
    const { description, owner, default: fallback } = definition as Record<string, unknown>;
    if (typeof description !== 'string' || description.trim() === '') {
      throw new FlagsError(
        'FLAGS_INVALID_DEFINITION',
        `${where}: description must be a non-empty string`,
      );
    }
    if (typeof owner !== 'string' || owner.trim() === '') {
      throw new FlagsError(
        'FLAGS_INVALID_DEFINITION',
        `${where}: owner must be a non-empty string`,
      );
    }
    if (typeof fallback !== 'boolean') {
      throw new FlagsError('FLAGS_INVALID_DEFINITION', `${where}: default must be true or false`);
    }
  }
}
