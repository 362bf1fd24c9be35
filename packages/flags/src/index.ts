export type { FlagContextResolver, FlagsPrincipal } from './context.js';
export { requestFlagContext } from './context.js';
export type { FlagsErrorCode } from './errors.js';
export { FlagsError } from './errors.js';
export type { FeatureDefinition } from './file-source/parse.js';
export { parseFlagsFile } from './file-source/parse.js';
export type { Flags, FlagsOptions, FlagsReadyOptions, UnleashSourceOptions } from './flags.js';
export { createFlags } from './flags.js';
export type { KillSwitchOptions } from './kill-switch/index.js';
export { killSwitch, MAINTENANCE_PROBLEM_TYPE } from './kill-switch/index.js';
export type { FlagsMiddlewareOptions, FlagsVariables } from './middleware/index.js';
export { flagsMiddleware } from './middleware/index.js';
export { defineFlags } from './registry.js';
export type {
  FlagContext,
  FlagDefinition,
  FlagDefinitions,
  FlagEvaluator,
  FlagName,
  FlagsLogger,
  FlagsReadyResult,
  FlagsSource,
} from './types.js';
