// Tells the manifest store when to look at its folder again: fs.watch events (recursive where the
// platform has it), debounced so that an editor's burst of saves costs one read, and a polling
// timer for what fs.watch misses (network file systems, some container mounts).
import { watch, type FSWatcher } from 'node:fs';
import type { Clock } from '../controller/clock.js';
import type { Logger } from '../log/logger.js';

export interface FolderWatcherOptions {
  readonly dir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Use fs.watch. */
  readonly watch: boolean;
  /** Quiet period after a file event before `onEvent`, in ms. */
  readonly debounceMs: number;
  /** Interval of `onPoll`, in ms; 0 turns polling off. */
  readonly pollIntervalMs: number;
  /** Something in the folder changed (debounced). */
  readonly onEvent: () => Promise<void>;
  /** A polling tick: the store compares the listing with its last read. */
  readonly onPoll: () => Promise<void>;
}

export class FolderWatcher {
  readonly #o: FolderWatcherOptions;
  #running = false;
  #watcher: FSWatcher | undefined;
  #cancelPoll: (() => void) | undefined;
  #cancelDebounce: (() => void) | undefined;

  constructor(options: FolderWatcherOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#o.watch) this.#startWatching();
    if (this.#o.pollIntervalMs > 0) this.#schedulePoll();
  }

  stop(): void {
    this.#running = false;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#cancelPoll?.();
    this.#cancelPoll = undefined;
    this.#cancelDebounce?.();
    this.#cancelDebounce = undefined;
  }

  #startWatching(): void {
    const { dir, logger } = this.#o;
    const onEvent = () => this.#debounce();
    try {
      this.#watcher = watch(dir, { recursive: true, persistent: false }, onEvent);
    } catch {
      try {
        // Recursive watching is not available everywhere; polling covers the subfolders.
        this.#watcher = watch(dir, { persistent: false }, onEvent);
      } catch (error) {
        logger.warn('cannot watch the manifests folder; relying on polling', { manifests: dir, error });
        return;
      }
    }
    this.#watcher.on('error', (error) => {
      logger.warn('watching the manifests folder failed; relying on polling', { manifests: dir, error });
      this.#watcher?.close();
      this.#watcher = undefined;
    });
  }

  #debounce(): void {
    if (!this.#running || this.#cancelDebounce) return;
    this.#cancelDebounce = this.#o.clock.setTimer(() => {
      this.#cancelDebounce = undefined;
      if (this.#running) void this.#o.onEvent();
    }, this.#o.debounceMs);
  }

  #schedulePoll(): void {
    if (!this.#running) return;
    this.#cancelPoll = this.#o.clock.setTimer(() => {
      this.#cancelPoll = undefined;
      void this.#o.onPoll().finally(() => this.#schedulePoll());
    }, this.#o.pollIntervalMs);
  }
}
