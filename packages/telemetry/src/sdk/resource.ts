import type { Attributes } from '@opentelemetry/api';
import { TelemetryError } from '../errors.js';

/** Who is emitting: becomes the OpenTelemetry resource of every span and metric. */
export interface ServiceInfo {
  /** `service.name`: the deployable's name, e.g. `'where2eat'`. Required. */
  name: string;
  /** `service.version`: the release, e.g. a semver or a git sha. Default: not set. */
  version?: string | undefined;
  /** `deployment.environment.name`: e.g. `'production'`, `'staging'`, `'development'`. Default: not set. */
  environment?: string | undefined;
  /** `app.id`: the app's id in the service catalog. Default: not set. */
  appId?: string | undefined;
  /** `team`: the owning team from the service catalog. Default: not set. */
  team?: string | undefined;
  /** `cost_center`: where the bill goes, from the service catalog. Default: not set. */
  costCenter?: string | undefined;
}

const OPTIONAL_KEYS: Array<[keyof ServiceInfo, string]> = [
  ['version', 'service.version'],
  ['environment', 'deployment.environment.name'],
  ['appId', 'app.id'],
  ['team', 'team'],
  ['costCenter', 'cost_center'],
];

/**
 * Resource attributes for a service: `service.name`, `service.version`,
 * `deployment.environment.name`, `app.id`, `team`, `cost_center` (unset values are left out).
 *
 * @throws {TelemetryError} `TELEMETRY_INVALID_OPTIONS` when `name` is empty or a value is not a string
 * @example
 * serviceResourceAttributes({ name: 'where2eat', version: '1.4.0', team: 'dining' });
 * // { 'service.name': 'where2eat', 'service.version': '1.4.0', team: 'dining' }
 */
export function serviceResourceAttributes(service: ServiceInfo): Attributes {
  if (typeof service?.name !== 'string' || service.name.trim() === '') {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      'service.name must be a non-empty string',
    );
  }
  const attributes: Attributes = { 'service.name': service.name };
  for (const [key, attribute] of OPTIONAL_KEYS) {
    const value = service[key];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') {
      throw new TelemetryError('TELEMETRY_INVALID_OPTIONS', `service.${key} must be a string`);
    }
    attributes[attribute] = value;
  }
  return attributes;
}
