export type {
  ApiMiddleware,
  OpenApiDocumentConfig,
  ServiceAppOptions,
  ServiceAuthSettings,
  ServiceVariables,
} from './app.js';
export { createServiceApp, mapDatabaseErrors } from './app.js';
export type {
  ConfigErrorCode,
  MigrationConfig,
  ServiceConfig,
  ServiceEnvDefaults,
  ServiceEnvInput,
} from './config.js';
export {
  ConfigError,
  checkServiceEnv,
  DEV_ISSUER,
  envBool,
  envInt,
  httpUrl,
  loadMigrationConfig,
  loadOrExit,
  parseEnv,
  postgresUrl,
  redisUrl,
  resolveServiceEnv,
  serviceEnv,
} from './config.js';
