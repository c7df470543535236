// Standalone mode's policies: EcsSchedulerPolicy and Namespace documents from `--policies DIR`, a
// folder apart from the tenants' manifests (in a cluster, only admins may write either kind).
// Each read replaces them all in the sink, the PolicyIndex, as the API server's watch would.
//
// A policy name (or a Namespace) defined twice is refused, naming both files: neither file may
// silently win, since which one the admin meant is not ours to guess. At start-up that fails the
// start; later, the policies read before stay in force and the error is logged until it is
// fixed. A file that cannot be read or has a YAML error keeps what it held before, as in the
// manifests folder.
import type { EcsSchedulerPolicyResource } from '../api/policy-types.js';
import type { Clock } from '../controller/clock.js';
import type { Logger } from '../log/logger.js';
import { folderSignature, readFolder, type FolderRead, type Located } from './folder-read.js';
import { FolderWatcher } from './folder-watcher.js';
import { listManifestFiles } from './manifest-files.js';

/** Where the policies and namespaces read go: the PolicyIndex of standalone mode. */
export interface PolicySink {
  replacePolicies(policies: readonly EcsSchedulerPolicyResource[]): void;
  setNamespace(name: string, labels: Readonly<Record<string, string>> | undefined): void;
}

export interface PolicyFolderOptions {
  readonly dir: string;
  readonly sink: PolicySink;
  readonly logger: Logger;
  readonly clock: Clock;
  /** As ManifestStoreOptions: polling period (0: off), fs.watch, debounce. */
  readonly pollIntervalMs?: number;
  readonly watch?: boolean;
  readonly debounceMs?: number;
}

/** Two documents of one name in the policies folder; the message names both files. */
export class PolicyConflictError extends Error {
  constructor(
    readonly dir: string,
    readonly conflicts: readonly string[],
  ) {
    super(`the policies folder ${dir} is refused: ${conflicts.join('; ')}. Remove or rename one of each.`);
    this.name = 'PolicyConflictError';
  }
}

export class PolicyFolder {
  readonly #o: PolicyFolderOptions;
  readonly #watcher: FolderWatcher;
  #policies = new Map<string, Located<EcsSchedulerPolicyResource>>();
  #namespaces = new Map<string, Located<Record<string, string>>>();
  #reported = new Set<string>();
  #signature = '';
  #running = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: PolicyFolderOptions) {
    this.#o = options;
    this.#watcher = new FolderWatcher({
      dir: options.dir,
      clock: options.clock,
      logger: options.logger,
      watch: options.watch ?? true,
      debounceMs: options.debounceMs ?? 200,
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      onEvent: () => this.#rescanLogged(),
      onPoll: () => this.#poll(),
    });
  }

  /** Reads the folder once and publishes it; throws when it is unreadable or has a conflict. */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.rescan();
    this.#running = true;
    this.#watcher.start();
  }

  stop(): Promise<void> {
    this.#running = false;
    this.#watcher.stop();
    return this.#chain;
  }

  /** Reads the folder now; throws PolicyConflictError (nothing published) on a duplicate name. */
  rescan(): Promise<void> {
    const scan = this.#chain.then(() => this.#scanOnce());
    this.#chain = scan.catch(() => undefined);
    return scan;
  }

  async #scanOnce(): Promise<void> {
    const { files, skipped } = await listManifestFiles(this.#o.dir, {
      label: 'policies folder (--policies)',
    });
    const read = await readFolder(files, 'policies');
    for (const entry of skipped) {
      read.problems.push(`${entry.path}: skipped: ${entry.problem}`);
      read.brokenFiles.add(entry.path);
    }
    this.#signature = folderSignature(files, skipped);
    this.#report(read.problems);
    if (read.conflicts.length > 0) throw new PolicyConflictError(this.#o.dir, read.conflicts);
    this.#publish(read);
  }

  #publish(read: FolderRead): void {
    for (const [name, policy] of this.#policies) {
      if (read.brokenFiles.has(policy.file) && !read.policies.has(name)) read.policies.set(name, policy);
    }
    for (const [name, ns] of this.#namespaces) {
      if (read.brokenFiles.has(ns.file) && !read.namespaces.has(name)) read.namespaces.set(name, ns);
    }
    const gone = [...this.#namespaces.keys()].filter((name) => !read.namespaces.has(name));
    this.#policies = read.policies;
    this.#namespaces = read.namespaces;
    const { sink } = this.#o;
    sink.replacePolicies([...read.policies.values()].map((p) => p.value));
    for (const name of gone) sink.setNamespace(name, undefined);
    for (const [name, ns] of read.namespaces) sink.setNamespace(name, ns.value);
  }

  #report(problems: readonly string[]): void {
    const current = new Set(problems);
    for (const problem of current) {
      if (!this.#reported.has(problem)) this.#o.logger.warn(problem, { policies: this.#o.dir });
    }
    this.#reported = current;
  }

  async #poll(): Promise<void> {
    try {
      const { files, skipped } = await listManifestFiles(this.#o.dir, {
        label: 'policies folder (--policies)',
      });
      if (folderSignature(files, skipped) === this.#signature) return;
    } catch (error) {
      this.#o.logger.error('cannot list the policies folder; keeping the policies read before', {
        policies: this.#o.dir,
        error,
      });
      return;
    }
    await this.#rescanLogged();
  }

  async #rescanLogged(): Promise<void> {
    if (!this.#running) return;
    try {
      await this.rescan();
    } catch (error) {
      this.#o.logger.error(`${(error as Error).message} The policies read before stay in force until then.`, {
        policies: this.#o.dir,
        error,
      });
    }
  }
}
