/** One feature flag, declared once in the registry. */
export interface FlagDefinition {
  /** What turning the flag on changes, in one sentence. */
  readonly description: string;
  /** Team or person who decides about the flag and removes it when it is done. */
  readonly owner: string;
  /**
   * The safe value: served before Unleash (or the bootstrap file) answered, when Unleash never
   * answers, and when the flag does not exist there.
   */
  readonly default: boolean;
}

/** A set of flag definitions keyed by flag name (the name used in Unleash). */
export type FlagDefinitions = Readonly<Record<string, FlagDefinition>>;

/** The declared flag names of a registry, as a string-literal union. */
export type FlagName<T extends FlagDefinitions> = Extract<keyof T, string>;

/**
 * The Unleash evaluation context. `userId` drives `userId`/`default` stickiness of gradual
 * rollouts; custom fields (e.g. `tenant`) go under `properties`.
 */
export interface FlagContext {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  currentTime?: Date;
  properties?: Record<string, string>;
}

/**
 * Evaluates flags for one fixed context (one request). `c.var.flags` in Hono handlers.
 */
export interface FlagEvaluator<N extends string = string> {
  /** Whether the flag is on for this context; the declared default when nothing is known. */
  isEnabled(name: N): boolean;
  /** The context the evaluator passes to Unleash (computed from the request on each read). */
  readonly context: FlagContext;
}

/** Where flag values come from. `defaults` means neither Unleash nor a file is configured. */
export type FlagsSource = 'unleash' | 'file' | 'defaults';

/** What `ready()` reports. */
export interface FlagsReadyResult {
  /** The configured source. */
  source: FlagsSource;
  /**
   * `true` when values from the source are being served; `false` when the timeout passed first
   * and the declared defaults are served until the source answers.
   */
  ready: boolean;
}

/**
 * The logger shape this package calls (object first, message second); pino fits it.
 * `info` and `error` are optional: missing `error` falls back to `warn`.
 */
export interface FlagsLogger {
  warn(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}
