// A Clock that moves only when a test says so. Timers fire in due order as time is advanced, each
// seeing `now()` equal to its own due time, so nothing in a unit test sleeps on wall time.
import type { Clock } from '../../src/controller/clock.js';

interface Timer {
  readonly id: number;
  readonly dueAt: number;
  readonly fn: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 0;

  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  setTimer(fn: () => void, delayMs: number): () => void {
    const timer = { id: this.#nextId++, dueAt: this.#now + Math.max(0, delayMs), fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t.id !== timer.id);
    };
  }

  /** Timers not yet fired, soonest first: their delays from now, in ms. */
  pendingDelays(): number[] {
    return [...this.#timers].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id).map((t) => t.dueAt - this.#now);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.advanceTo(new Date(this.#now + ms));
  }

  advanceTo(time: Date | string): void {
    const target = new Date(time).getTime();
    for (;;) {
      const next = [...this.#timers].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)[0];
      if (!next || next.dueAt > target) break;
      this.#timers = this.#timers.filter((t) => t.id !== next.id);
      this.#now = Math.max(this.#now, next.dueAt);
      next.fn();
    }
    this.#now = Math.max(this.#now, target);
  }

  /** Sets the time without firing timers (for a fresh pass at a given instant). */
  set(time: Date | string): void {
    this.#now = new Date(time).getTime();
  }
}

/** Lets pending promise callbacks run (microtasks and one macrotask turn); not a wall-time wait. */
export async function flushPromises(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
