import { FlagsError } from './errors.js';
import type { FlagsLogger, FlagsSource } from './types.js';

/** Connection to an Unleash server (or Unleash Edge) with a backend (client) API token. */
export interface UnleashSourceOptions {
  /** Base URL of the Unleash API, e.g. `https://unleash.example.com/api`. */
  url: string;
  /** Backend API token, sent as the `Authorization` header. */
  apiToken: string;
  /** Name this app registers under in Unleash. */
  appName: string;
  /** Value of the `environment` context field (the token decides which Unleash environment is served). */
  environment?: string;
  /** Unique id of this instance; unleash-client generates one when missing. */
  instanceId?: string;
  /** Only fetch the flags of this Unleash project. */
  projectName?: string;
  /** How often flag definitions are fetched. Default 15000. */
  refreshIntervalMs?: number;
  /** How often usage metrics are sent. Default 60000. */
  metricsIntervalMs?: number;
  /** Do not send usage metrics. Default false. */
  disableMetrics?: boolean;
  /** Timeout of each HTTP request to Unleash; at least 1000 (unleash-client's retry delay). Default 10000. */
  requestTimeoutMs?: number;
  /**
   * Directory where the last fetched definitions are kept, so a restart while Unleash is down
   * serves them. Default: none (memory only).
   */
  backupPath?: string;
  /** Extra headers on every request (e.g. for a proxy). */
  customHeaders?: Record<string, string>;
}

/** Options of {@link createFlags}. Set `unleash` or `file` (not both); neither serves defaults. */
export interface FlagsOptions {
  /** Read flags from Unleash. */
  unleash?: UnleashSourceOptions;
  /** Read flags from this bootstrap file (see README) and reload it when it changes. */
  file?: string;
  /** How often the bootstrap file is checked for changes; 0 turns reloading off. Default 1000. */
  watchIntervalMs?: number;
  /** Receives warnings (unreachable Unleash, bad reloads, ready timeout). Default: console. */
  logger?: FlagsLogger;
}

/** {@link UnleashSourceOptions} checked, with every default applied. */
export interface ResolvedUnleashSourceOptions {
  readonly url: string;
  readonly apiToken: string;
  readonly appName: string;
  readonly environment: string | undefined;
  readonly instanceId: string | undefined;
  readonly projectName: string | undefined;
  readonly refreshIntervalMs: number;
  readonly metricsIntervalMs: number;
  readonly disableMetrics: boolean;
  readonly requestTimeoutMs: number;
  readonly backupPath: string | undefined;
  readonly customHeaders: Readonly<Record<string, string>> | undefined;
}

/** {@link FlagsOptions} checked, with every default applied. */
export interface ResolvedFlagsOptions {
  /** Where values come from: `unleash` when it is set, else `file` when that is, else `defaults`. */
  readonly source: FlagsSource;
  readonly unleash: ResolvedUnleashSourceOptions | undefined;
  readonly file: string | undefined;
  readonly watchIntervalMs: number;
  readonly logger: FlagsLogger;
}

const consoleLogger: FlagsLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

function fail(message: string): never {
  throw new FlagsError('FLAGS_INVALID_OPTIONS', message);
}

function resolveUnleash(unleash: UnleashSourceOptions): ResolvedUnleashSourceOptions {
  let url: URL | undefined;
  try {
    url = new URL(unleash.url);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    fail(`options.unleash.url must be an http(s) URL, got "${String(unleash.url)}"`);
  }
  if (typeof unleash.apiToken !== 'string' || unleash.apiToken === '') {
    fail('options.unleash.apiToken must be a non-empty string');
  }
  if (typeof unleash.appName !== 'string' || unleash.appName === '') {
    fail('options.unleash.appName must be a non-empty string');
  }
  // unleash-client retries a failed fetch at least 1 s apart and caps that wait with the request
  // timeout: below 1000 ms every fetch fails ("minTimeout is greater than maxTimeout").
  if (unleash.requestTimeoutMs !== undefined && unleash.requestTimeoutMs < 1000) {
    fail('options.unleash.requestTimeoutMs must be at least 1000');
  }
  for (const key of ['refreshIntervalMs', 'metricsIntervalMs', 'requestTimeoutMs'] as const) {
    const value = unleash[key];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      fail(`options.unleash.${key} must be a positive integer`);
    }
  }
  return Object.freeze({
    url: unleash.url,
    apiToken: unleash.apiToken,
    appName: unleash.appName,
    environment: unleash.environment,
    instanceId: unleash.instanceId,
    projectName: unleash.projectName,
    refreshIntervalMs: unleash.refreshIntervalMs ?? 15_000,
    metricsIntervalMs: unleash.metricsIntervalMs ?? 60_000,
    disableMetrics: unleash.disableMetrics ?? false,
    requestTimeoutMs: unleash.requestTimeoutMs ?? 10_000,
    backupPath: unleash.backupPath,
    customHeaders: unleash.customHeaders,
  });
}

/**
 * Checks the options of `createFlags` and applies their defaults, without reading or fetching
 * anything.
 *
 * @throws {FlagsError} `FLAGS_INVALID_OPTIONS` naming the first invalid option
 */
export function resolveFlagsOptions(options: FlagsOptions = {}): ResolvedFlagsOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const { unleash, file, watchIntervalMs = 1000, logger = consoleLogger } = options;
  if (unleash && file !== undefined) {
    fail('set either options.unleash or options.file, not both');
  }
  if (file !== undefined && (typeof file !== 'string' || file === '')) {
    fail('options.file must be a non-empty path');
  }
  if (!Number.isInteger(watchIntervalMs) || watchIntervalMs < 0) {
    fail('options.watchIntervalMs must be an integer >= 0');
  }
  if (typeof logger?.warn !== 'function') fail('options.logger must have a warn method');
  return Object.freeze({
    source: unleash ? 'unleash' : file ? 'file' : 'defaults',
    unleash: unleash ? resolveUnleash(unleash) : undefined,
    file,
    watchIntervalMs,
    logger,
  });
}
