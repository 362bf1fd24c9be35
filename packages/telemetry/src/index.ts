export type { Logger } from 'pino';
export type { TelemetryErrorCode } from './errors.js';
export { TelemetryError } from './errors.js';
export type { CreateLoggerOptions } from './logger/create-logger.js';
export { createLogger, DEFAULT_REDACT_PATHS } from './logger/create-logger.js';
export type {
  DbClientMetrics,
  DbClientMetricsOptions,
  DbOperation,
} from './metrics/db-client.js';
export { DB_CLIENT_DURATION_BUCKETS, dbClientMetrics } from './metrics/db-client.js';
export { HTTP_SERVER_DURATION_BUCKETS } from './metrics/http-server.js';
export type { CounterOptions, MeterOptions } from './metrics/meter.js';
export { counter, getMeter, TELEMETRY_SCOPE } from './metrics/meter.js';
export type { TelemetryMiddlewareOptions, TelemetryVariables } from './middleware/index.js';
export { telemetryMiddleware } from './middleware/index.js';
export type { ServiceInfo } from './sdk/resource.js';
export { serviceResourceAttributes } from './sdk/resource.js';
export type {
  InstrumentationOptions,
  OtlpOptions,
  Telemetry,
  TelemetryOptions,
} from './sdk/start-telemetry.js';
export { startTelemetry } from './sdk/start-telemetry.js';
