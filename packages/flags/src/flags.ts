import { EventEmitter } from 'node:events';
import { InMemStorageProvider, Unleash, type UnleashConfig } from 'unleash-client';
import { FlagsError } from './errors.js';
import { FileRepository } from './file-source/file-repository.js';
import { type FlagsOptions, type ResolvedFlagsOptions, resolveFlagsOptions } from './options.js';
import { validateDefinitions } from './registry.js';
import type {
  FlagContext,
  FlagDefinition,
  FlagDefinitions,
  FlagEvaluator,
  FlagName,
  FlagsReadyResult,
  FlagsSource,
} from './types.js';

export type { FlagsOptions, UnleashSourceOptions } from './options.js';

/** How long `ready()` waits for the first values by default. */
const READY_TIMEOUT_MS = 5000;

/** Options of {@link Flags.ready}. */
export interface FlagsReadyOptions {
  /** How long to wait for the first values before serving declared defaults. Default 5000. */
  timeoutMs?: number;
}

/** A started-on-demand flag client bound to a registry; create it with {@link createFlags}. */
export interface Flags<N extends string = string> {
  /** The source flag values come from. */
  readonly source: FlagsSource;
  /** The declared definitions, by name. */
  readonly definitions: Readonly<Record<N, FlagDefinition>>;
  /**
   * Starts the source (once) and waits until its first values are in, or until `timeoutMs`
   * passed: then it logs a warning and resolves with `ready: false`, and the declared defaults
   * are served until the source answers.
   *
   * @throws {FlagsError} `FLAGS_FILE_UNREADABLE` / `FLAGS_FILE_INVALID` naming the bootstrap file
   */
  ready(options?: FlagsReadyOptions): Promise<FlagsReadyResult>;
  /** Whether values from the source are being served (rather than the declared defaults). */
  isReady(): boolean;
  /**
   * Evaluates a declared flag for a context; the declared default when the source has not
   * answered yet or does not know the flag.
   *
   * @throws {FlagsError} `FLAGS_UNDECLARED_FLAG` when called with an undeclared name (only
   *   possible when the types were bypassed)
   */
  isEnabled(name: N, context?: FlagContext): boolean;
  /** An evaluator bound to one context. */
  evaluator(context: FlagContext | (() => FlagContext)): FlagEvaluator<N>;
  /** Stops polling / watching. Further evaluations keep returning the last values. */
  close(): Promise<void>;
}

/** Placeholder URL for unleash-client in file mode: it is never fetched (metrics are off). */
const OFFLINE_URL = 'http://offline.invalid/api/';

/**
 * Creates the flag client of an app from its registry. Nothing is fetched or read until
 * `ready()` is called; until then (and until the source answers) declared defaults are served.
 *
 * @param registry - the result of `defineFlags(...)`
 * @param [options.unleash] - Unleash connection; see {@link UnleashSourceOptions}
 * @param [options.file] - bootstrap file path, used when there is no Unleash
 * @param [options.watchIntervalMs=1000] - bootstrap file poll interval; 0 = no reload
 * @param [options.logger=console] - pino-compatible logger for warnings
 * @throws {FlagsError} `FLAGS_INVALID_OPTIONS` / `FLAGS_INVALID_DEFINITION` at once
 * @example
 * const flags = createFlags(flagRegistry, config.UNLEASH_URL
 *   ? { unleash: { url: config.UNLEASH_URL, apiToken: config.UNLEASH_API_TOKEN, appName: 'where2eat' } }
 *   : { file: config.FLAGS_FILE });
 * await flags.ready({ timeoutMs: 5000 });
 * flags.isEnabled('recommendation-v2', { userId: 'u-1' });
 */
export function createFlags<const T extends FlagDefinitions>(
  registry: T,
  options: FlagsOptions = {},
): Flags<FlagName<T>> {
  validateDefinitions(registry);
  const resolved = resolveFlagsOptions(options);
  const { source, logger } = resolved;
  const logError = (obj: object, msg: string) =>
    (logger.error ?? logger.warn).call(logger, obj, msg);
  const definitions = registry as unknown as Readonly<Record<FlagName<T>, FlagDefinition>>;

  const client = source === 'defaults' ? undefined : createClient(resolved, registry);
  let loaded = false;
  let started: Promise<void> | undefined;
  let failing = false;
  let closed = false;

  let markLoaded: () => void = () => {};
  const loadedOnce = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });
  if (client) {
    client.on('ready', () => {
      loaded = true;
      markLoaded();
    });
    client.on('changed', () => {
      if (failing) logger.info?.({ source }, 'feature flag source reachable again');
      failing = false;
    });
    client.on('unchanged', () => {
      if (failing) logger.info?.({ source }, 'feature flag source reachable again');
      failing = false;
    });
    client.on('error', (err: Error) => {
      // One line per outage, not one per poll; the repeated polls fail the same way.
      if (failing) return;
      failing = true;
      logError(
        { err, source, serving: loaded ? 'last known values' : 'declared defaults' },
        'feature flag source failed',
      );
    });
    client.on('warn', (msg: unknown) => {
      const detail = msg instanceof Error ? msg.message : String(msg);
      if (failing) return;
      // "… responded 503. Backing off" repeats on every poll of an outage, like errors do.
      if (/backing off/i.test(detail)) failing = true;
      logger.warn({ source, detail }, 'unleash-client warning');
    });
  }

  const declared = (name: string): FlagDefinition => {
    const definition = Object.hasOwn(registry, name) ? registry[name] : undefined;
    if (!definition) {
      throw new FlagsError(
        'FLAGS_UNDECLARED_FLAG',
        `flag "${name}" is not declared in the registry`,
      );
    }
    return definition;
  };

  const isEnabled = (name: FlagName<T>, context: FlagContext = {}): boolean => {
    const definition = declared(name);
    if (!client || !loaded) return definition.default;
    return client.isEnabled(
      name,
      context as Parameters<Unleash['isEnabled']>[1],
      definition.default,
    );
  };

  return {
    source,
    definitions,
    async ready(readyOptions: FlagsReadyOptions = {}): Promise<FlagsReadyResult> {
      const timeoutMs = readyOptions.timeoutMs ?? READY_TIMEOUT_MS;
      if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
        throw new FlagsError('FLAGS_INVALID_OPTIONS', 'ready(): timeoutMs must be a number >= 0');
      }
      if (!client) return { source, ready: true };
      started ??= client.start().catch((err: unknown) => {
        throw err instanceof FlagsError
          ? err
          : new FlagsError('FLAGS_START_FAILED', `feature flags could not start: ${String(err)}`, {
              cause: err,
            });
      });
      // A local file is read in full, whatever the timeout, so that its errors surface here.
      if (source === 'file') {
        await started;
        await loadedOnce; // unleash-client re-emits the file's `ready` on the next tick
        return { source, ready: true };
      }
      // Unleash: the first fetch may hang up to requestTimeoutMs, so the timeout covers it too.
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        loadedOnce.then(() => 'ready' as const),
        started.then(() => new Promise<never>(() => {})),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      if (outcome === 'ready' || loaded) return { source, ready: true };
      logger.warn(
        { source, timeoutMs },
        'feature flags not ready in time; serving declared defaults until the source answers',
      );
      return { source, ready: false };
    },
    isReady: () => source === 'defaults' || loaded,
    isEnabled,
    evaluator(context) {
      return new BoundEvaluator(isEnabled, context);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (!client) return;
      client.destroy();
      // unleash-client's destroy() removes every listener of its repository, but a fetch that is
      // in flight (retrying a refused connection) still emits `error` on it when it fails: with no
      // listener that becomes an unhandled rejection. Keep one no-op listener for that last event.
      const repository: unknown = Reflect.get(client, 'repository');
      if (repository instanceof EventEmitter && repository.listenerCount('error') === 0) {
        repository.on('error', () => {});
      }
    },
  };
}

/**
 * A flag evaluator bound to one context (or to a function computing it on each read). One is made
 * per request, so it is a class with its state in fields: the object literal of closures and a
 * getter it replaces grew a server's heap by about 200 MB under load.
 */
class BoundEvaluator<N extends string> implements FlagEvaluator<N> {
  readonly #evaluate: (name: N, context: FlagContext) => boolean;
  readonly #context: FlagContext | (() => FlagContext);

  constructor(
    evaluate: (name: N, context: FlagContext) => boolean,
    context: FlagContext | (() => FlagContext),
  ) {
    this.#evaluate = evaluate;
    this.#context = context;
    // Callers may destructure: `const { isEnabled } = c.var.flags`.
    this.isEnabled = this.isEnabled.bind(this);
  }

  isEnabled(name: N): boolean {
    return this.#evaluate(name, this.context);
  }

  get context(): FlagContext {
    const context = this.#context;
    return typeof context === 'function' ? context() : context;
  }
}

function createClient(options: ResolvedFlagsOptions, registry: FlagDefinitions): Unleash {
  const { unleash, file, logger } = options;
  if (unleash) {
    const config: UnleashConfig = {
      url: unleash.url,
      appName: unleash.appName,
      environment: unleash.environment,
      instanceId: unleash.instanceId,
      projectName: unleash.projectName,
      refreshInterval: unleash.refreshIntervalMs,
      metricsInterval: unleash.metricsIntervalMs,
      disableMetrics: unleash.disableMetrics,
      timeout: unleash.requestTimeoutMs,
      customHeaders: { ...unleash.customHeaders, Authorization: unleash.apiToken },
      disableAutoStart: true,
      skipInstanceCountWarning: true,
    };
    if (unleash.backupPath) config.backupPath = unleash.backupPath;
    else config.storageProvider = new InMemStorageProvider();
    return new Unleash(config);
  }
  return new Unleash({
    url: OFFLINE_URL,
    appName: 'offline',
    disableMetrics: true,
    disableAutoStart: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    repository: new FileRepository({
      file: file as string,
      watchIntervalMs: options.watchIntervalMs,
      declared: new Set(Object.keys(registry)),
      logger,
    }),
  });
}
