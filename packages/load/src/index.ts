export type { LoadCommandOptions, LoadContext, LoadPlan, StartedTarget } from './command.js';
export { runLoadCommand } from './command.js';
export type { LoadErrorCode } from './errors.js';
export { LoadError } from './errors.js';
export type {
  LoadRequest,
  LoadResult,
  RunLoadOptions,
  Scenario,
  Stage,
  StageResult,
  Thresholds,
  Verdict,
} from './run-load.js';
export {
  formatStage,
  formatVerdict,
  isLoopback,
  LIMITS,
  loopbackUrl,
  percentile,
  runLoad,
  verdicts,
} from './run-load.js';
export type { StartAppOptions, StartedApp } from './start-app.js';
export { freePort, startApp, stopChild } from './start-app.js';
