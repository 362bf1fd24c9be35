import type { ClientFeaturesResponse } from 'unleash-client';
import { FlagsError } from '../errors.js';

/** An Unleash feature definition, as the client evaluates it. */
export type FeatureDefinition = ClientFeaturesResponse['features'][number];

type Operator = NonNullable<
  FeatureDefinition['strategies']
>[number]['constraints'][number]['operator'];

const ENTRY_KEYS = new Set(['enabled', 'rollout', 'stickiness', 'groupId', 'tenants']);

/**
 * Parses the bootstrap file (see README, "Bootstrap file") into Unleash feature definitions, so
 * that offline flags are evaluated by the same unleash-client strategies as online ones.
 *
 * Format: one JSON object, flag name → `true` | `false` | `{ enabled?, rollout?, stickiness?,
 * groupId?, tenants? }`. Keys starting with `$` (e.g. `$schema`, `$comment`) are ignored.
 *
 * @throws {FlagsError} `FLAGS_FILE_INVALID` with the file name and the offending entry
 */
export function parseFlagsFile(text: string, file: string): Map<string, FeatureDefinition> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FlagsError(
      'FLAGS_FILE_INVALID',
      `flags file ${file}: not valid JSON (${(err as Error).message})`,
      { cause: err },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FlagsError(
      'FLAGS_FILE_INVALID',
      `flags file ${file}: expected an object of flag name → true | false | { enabled, rollout, ... }`,
    );
  }
  const features = new Map<string, FeatureDefinition>();
  for (const [name, value] of Object.entries(json)) {
    if (name.startsWith('$')) continue;
    features.set(name, toFeature(name, value, file));
  }
  return features;
}

function toFeature(name: string, value: unknown, file: string): FeatureDefinition {
  const fail = (reason: string): never => {
    const separator = reason.startsWith('.') ? '' : ' ';
    throw new FlagsError(
      'FLAGS_FILE_INVALID',
      `flags file ${file}: "${name}"${separator}${reason}`,
    );
  };
  if (typeof value === 'boolean') return feature(name, value, 100, 'default', name, undefined);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(
      'must be true, false or an object { enabled, rollout, stickiness, groupId, tenants }',
    );
  }
  const entry = value as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (!ENTRY_KEYS.has(key)) {
      fail(`has an unknown field "${key}" (allowed: ${[...ENTRY_KEYS].join(', ')})`);
    }
  }
  const { enabled = true, rollout = 100, stickiness = 'default', groupId = name, tenants } = entry;
  if (typeof enabled !== 'boolean') fail('.enabled must be true or false');
  if (typeof rollout !== 'number' || !Number.isFinite(rollout) || rollout < 0 || rollout > 100) {
    fail('.rollout must be a number from 0 to 100');
  }
  if (typeof stickiness !== 'string' || stickiness === '') {
    fail('.stickiness must be a context field name such as "userId", "default" or "random"');
  }
  if (typeof groupId !== 'string' || groupId === '') fail('.groupId must be a non-empty string');
  if (
    tenants !== undefined &&
    (!Array.isArray(tenants) || tenants.some((tenant) => typeof tenant !== 'string'))
  ) {
    fail('.tenants must be an array of strings');
  }
  return feature(
    name,
    enabled as boolean,
    rollout as number,
    stickiness as string,
    groupId as string,
    tenants as string[] | undefined,
  );
}

function feature(
  name: string,
  enabled: boolean,
  rollout: number,
  stickiness: string,
  groupId: string,
  tenants: string[] | undefined,
): FeatureDefinition {
  return {
    name,
    enabled,
    strategies: [
      {
        name: 'flexibleRollout',
        parameters: { rollout: String(rollout), stickiness, groupId },
        constraints: tenants
          ? [
              {
                contextName: 'tenant',
                operator: 'IN' as Operator,
                inverted: false,
                values: tenants,
              },
            ]
          : [],
      },
    ],
  };
}
