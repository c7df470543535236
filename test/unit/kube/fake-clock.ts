// A clock that moves only when told. Timers fire in due order; `flush` lets promise callbacks run.
import type { Clock } from '../../../src/controller/clock.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

export class FakeClock implements Clock {
  private nowMs: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.nowMs = start;
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  setTimer(fn: () => void, delayMs: number): () => void {
    const timer = { id: this.nextId++, due: this.nowMs + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t.id !== timer.id);
    };
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Advances time by `ms`, firing each due timer at its own instant and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    for (;;) {
      await flush();
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t.id !== next.id);
      this.nowMs = Math.max(this.nowMs, next.due);
      next.fn();
    }
    this.nowMs = target;
    await flush();
  }
}

/** Lets pending promise callbacks run (several turns, for chains of awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
