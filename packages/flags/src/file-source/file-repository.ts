import { EventEmitter } from 'node:events';
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { UnleashConfig } from 'unleash-client';
import { FlagsError } from '../errors.js';
import type { FlagsLogger } from '../types.js';
import { type FeatureDefinition, parseFlagsFile } from './parse.js';

type RepositoryInterface = NonNullable<UnleashConfig['repository']>;

/** Options of {@link FileRepository}. */
export interface FileRepositoryOptions {
  file: string;
  /** Poll interval of the file's mtime; 0 disables reloading. */
  watchIntervalMs: number;
  declared: ReadonlySet<string>;
  logger: FlagsLogger;
}

/**
 * An unleash-client repository that reads feature definitions from the bootstrap file and
 * reloads them when the file changes, so a toggle in the file takes effect without a restart.
 * Emits the events unleash-client listens to: `ready` once, `changed` on every good load.
 */
export class FileRepository extends EventEmitter implements RepositoryInterface {
  readonly #options: FileRepositoryOptions;
  #features = new Map<string, FeatureDefinition>();
  #watching = false;
  #reloading: Promise<void> = Promise.resolve();

  constructor(options: FileRepositoryOptions) {
    super();
    this.#options = options;
  }

  /** Reads the file once; rejects with a {@link FlagsError} naming the file when it is bad. */
  async start(): Promise<void> {
    this.#features = await this.#load();
    this.emit('ready');
    this.emit('changed', [...this.#features.values()]);
    if (this.#options.watchIntervalMs > 0 && !this.#watching) {
      this.#watching = true;
      watchFile(
        this.#options.file,
        { interval: this.#options.watchIntervalMs, persistent: false },
        this.#onFileChange,
      );
    }
  }

  stop(): void {
    if (this.#watching) {
      unwatchFile(this.#options.file, this.#onFileChange);
      this.#watching = false;
    }
  }

  getToggle(name: string): FeatureDefinition | undefined {
    return this.#features.get(name);
  }

  getToggles(): FeatureDefinition[] {
    return [...this.#features.values()];
  }

  getTogglesWithSegmentData(): ReturnType<RepositoryInterface['getTogglesWithSegmentData']> {
    // File features reference no segments, so the plain and the "enhanced" shapes coincide.
    return this.getToggles() as ReturnType<RepositoryInterface['getTogglesWithSegmentData']>;
  }

  getSegment(): undefined {
    return undefined;
  }

  /** Resolves when the reloads queued so far are done (tests and shutdown use it). */
  settled(): Promise<void> {
    return this.#reloading;
  }

  readonly #onFileChange = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
    this.#reloading = this.#reloading.then(() => this.#reload());
  };

  async #reload(): Promise<void> {
    const { file, logger } = this.#options;
    try {
      this.#features = await this.#load();
      logger.info?.({ file, flags: this.#features.size }, 'flags file reloaded');
      this.emit('changed', [...this.#features.values()]);
    } catch (err) {
      logger.warn({ err, file }, 'flags file could not be reloaded; keeping the last good values');
    }
  }

  async #load(): Promise<Map<string, FeatureDefinition>> {
    const { file, declared, logger } = this.#options;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new FlagsError(
        'FLAGS_FILE_UNREADABLE',
        `flags file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        { cause: err },
      );
    }
    const features = parseFlagsFile(text, file);
    const undeclared = [...features.keys()].filter((name) => !declared.has(name));
    if (undeclared.length > 0) {
      logger.warn({ file, flags: undeclared }, 'flags file sets flags that are not declared');
    }
    return features;
  }
}
