// The one start/stop sequence of the app: stages start in the order given and stop in the reverse
// order, so whatever a stage needs is up before it starts and still up until it stopped.

export interface Stage {
  /** For the logs. */
  readonly name: string;
  start?(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export class Lifecycle {
  readonly #stages: readonly Stage[];
  readonly #started: Stage[] = [];

  constructor(stages: readonly Stage[]) {
    this.#stages = stages;
  }

  /**
   * Crash-only start-up: when a stage fails to start, what already started is stopped (the servers
   * closed) so that the process can exit with the reason, instead of answering /healthz forever
   * while /readyz says not ready. The failed stage is stopped too, without waiting for it: it may
   * still be starting (a first list that never answered).
   */
  async start(): Promise<void> {
    for (const stage of this.#stages) {
      try {
        await stage.start?.();
      } catch (error) {
        void (async () => stage.stop())().catch(() => undefined);
        await this.stop();
        throw error;
      }
      this.#started.push(stage);
    }
  }

  /** Stops the started stages, the last started first. */
  async stop(): Promise<void> {
    for (let stage = this.#started.pop(); stage !== undefined; stage = this.#started.pop()) {
      await stage.stop();
    }
  }
}
