import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { type DestinationStream, type Level, type Logger, type LoggerOptions, pino } from 'pino';
import { TelemetryError } from '../errors.js';
import { compileRedaction } from './redact.js';

/**
 * Paths redacted from every log line by default: credentials in headers (also under `req`/`res`),
 * and common token, password and secret fields at the top level and one level down.
 */
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["proxy-authorization"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  ...[
    'password',
    'token',
    'accessToken',
    'access_token',
    'refreshToken',
    'refresh_token',
    'idToken',
    'id_token',
    'clientSecret',
    'client_secret',
    'secret',
    'apiKey',
    'api_key',
  ].flatMap((key) => [key, `*.${key}`]),
];

const LEVELS: ReadonlyArray<Level | 'silent'> = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export interface CreateLoggerOptions {
  /** Lowest level written: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. Default: `'info'`. */
  level?: Level | 'silent' | undefined;
  /**
   * Human-readable colored lines through `pino-pretty` (an optional dependency: install it in
   * development). JSON lines otherwise, which is what production log pipelines want. Default: `false`.
   */
  pretty?: boolean | undefined;
  /** Extra paths to censor as `[Redacted]`, added to {@link DEFAULT_REDACT_PATHS}. Default: `[]`. */
  redact?: string[] | undefined;
  /** Fields on every line, e.g. `{ service: 'where2eat', version }`. `pid` and `hostname` are always added. Default: `{}`. */
  base?: Record<string, unknown> | undefined;
  /** Where JSON lines go, e.g. a stream in tests. Not combinable with `pretty`. Default: stdout. */
  destination?: DestinationStream | undefined;
}

const requireFromHere = createRequire(import.meta.url);

/**
 * The app's one root logger (pino): JSON lines with ISO time and level names, secrets redacted.
 * Create one at start and hand it to everything; requests get a child from `telemetryMiddleware`.
 *
 * @param [options.level='info'] lowest level written
 * @param [options.pretty=false] pretty-print through pino-pretty (development)
 * @param [options.redact=[]] extra paths to redact
 * @param [options.base={}] fields on every line
 * @param [options.destination=stdout] destination stream for JSON lines
 * @throws {TelemetryError} `TELEMETRY_INVALID_OPTIONS` for an unknown level or `pretty` with `destination`;
 *   `TELEMETRY_PRETTY_UNAVAILABLE` when `pretty` is on and pino-pretty is not installed
 * @example
 * const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.NODE_ENV === 'development' });
 * logger.info({ port }, 'listening');
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const { level = 'info', pretty = false, redact = [], base = {}, destination } = options;
  if (!LEVELS.includes(level)) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      `level must be one of ${LEVELS.join(', ')}, got ${String(level)}`,
    );
  }
  if (!Array.isArray(redact) || redact.some((path) => typeof path !== 'string' || path === '')) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      'redact must be an array of non-empty path strings',
    );
  }
  if (pretty && destination) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      'pretty and destination cannot be combined',
    );
  }

  const censor = compileRedaction([...DEFAULT_REDACT_PATHS, ...redact], '[Redacted]');
  const loggerOptions: LoggerOptions = {
    level,
    base: { pid: process.pid, hostname: hostname(), ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      // Not pino's `redact`: see ./redact.ts for why, and for the same path syntax.
      bindings: censor,
      log: censor,
    },
  };

  if (pretty) {
    let target: string;
    try {
      target = requireFromHere.resolve('pino-pretty');
    } catch (cause) {
      throw new TelemetryError(
        'TELEMETRY_PRETTY_UNAVAILABLE',
        'pretty logs need the pino-pretty package: npm install -D pino-pretty',
        { cause },
      );
    }
    loggerOptions.transport = {
      target,
      options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    };
    return pino(loggerOptions);
  }
  return destination ? pino(loggerOptions, destination) : pino(loggerOptions);
}
