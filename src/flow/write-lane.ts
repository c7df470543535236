// Status writes and events wait behind launches. Every pass shares one event loop: when 1,000
// resources are due in the same second, the status write and the event of each launched run would
// otherwise take turns on the CPU with the RunTask calls of the runs still waiting, and the last
// launch would come after a second's worth of writes it did not need. Writes still always move:
// a few may run while passes are deciding, so a steady stream of passes cannot starve them.
// Like the token bucket beside it, this imports nothing and takes no clock.

export interface WriteLaneOptions {
  /** Writes in flight when no pass is deciding. */
  readonly concurrency: number;
  /** Writes in flight while any pass is deciding; at least 1. */
  readonly concurrencyWhileDeciding: number;
  /**
   * Writes that may wait before hasRoom() says no. Callers stop handing work over past it, so that
   * a controller that decides faster than it can write slows down instead of holding every
   * decided status in memory. Default: no bound.
   */
  readonly maxWaiting?: number;
}

export class WriteLane {
  readonly #concurrency: number;
  readonly #whileDeciding: number;
  readonly #maxWaiting: number;
  readonly #waiting: (() => void)[] = [];
  #deciding = 0;
  #inFlight = 0;

  constructor(options: WriteLaneOptions) {
    this.#concurrency = Math.max(1, options.concurrency);
    this.#whileDeciding = Math.min(this.#concurrency, Math.max(1, options.concurrencyWhileDeciding));
    this.#maxWaiting = options.maxWaiting ?? Number.POSITIVE_INFINITY;
  }

  /** False once `maxWaiting` writes wait: hand no more over until some have gone. */
  hasRoom(): boolean {
    return this.#waiting.length < this.#maxWaiting;
  }

  /** Writes waiting for their turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Writes running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** A pass started deciding (and may launch): writes yield to it until the returned call. */
  deciding(): () => void {
    this.#deciding++;
    let over = false;
    return () => {
      if (over) return;
      over = true;
      this.#deciding--;
      this.#pump();
    };
  }

  /** Runs `write` in its turn: first come, first served, within the current concurrency. */
  async run<T>(write: () => Promise<T>): Promise<T> {
    if (this.#waiting.length > 0 || this.#inFlight >= this.#limit()) {
      // #pump counts the write in flight before it wakes it, so nobody overtakes it.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#inFlight++;
    }
    try {
      return await write();
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }

  #limit(): number {
    return this.#deciding > 0 ? this.#whileDeciding : this.#concurrency;
  }

  #pump(): void {
    while (this.#waiting.length > 0 && this.#inFlight < this.#limit()) {
      this.#inFlight++;
      this.#waiting.shift()?.();
    }
  }
}
