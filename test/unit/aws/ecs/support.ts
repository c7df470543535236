// Test doubles for the ECS adapter: a fake clock whose sleeps move time forward at once, and a
// fake SDK client that records commands and answers from per-operation handlers.
import type { Clock } from '../../../../src/controller/clock.js';
import type { AwsApi } from '../../../../src/aws/ecs/ports.js';

export class FakeClock implements Clock {
  #ms: number;
  #timers: { at: number; fn: () => void }[] = [];
  /** Every wait asked for through `sleep`, in order. */
  readonly sleeps: number[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.#ms = start;
  }

  now(): Date {
    return new Date(this.#ms);
  }

  nowMs(): number {
    return this.#ms;
  }

  setTimer(fn: () => void, delayMs: number): () => void {
    const timer = { at: this.#ms + Math.max(0, delayMs), fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  advance(ms: number): void {
    const until = this.#ms + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#ms = Math.max(this.#ms, due.at);
      due.fn();
    }
    this.#ms = until;
  }

  /** A sleep that records the wait and moves the clock by it: no wall time passes. */
  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.#ms += ms;
    return Promise.resolve();
  };
}

export interface RecordedCall {
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

type Handler = (input: Record<string, unknown>, call: number) => unknown;

export class FakeAws implements AwsApi {
  readonly calls: RecordedCall[] = [];
  destroyed = false;

  constructor(readonly handlers: Partial<Record<string, Handler>>) {}

  async send(command: unknown): Promise<unknown> {
    const cmd = command as { constructor: { name: string }; input: Record<string, unknown> };
    const operation = cmd.constructor.name.replace(/Command$/, '');
    const call = this.calls.filter((c) => c.operation === operation).length;
    this.calls.push({ operation, input: structuredClone(cmd.input) });
    const handler = this.handlers[operation];
    if (handler === undefined) throw new Error(`unexpected ${operation}`);
    return handler(cmd.input, call);
  }

  destroy(): void {
    this.destroyed = true;
  }

  of(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }
}

/** An error shaped like an SDK service exception. */
export function awsError(
  name: string,
  fields: { message?: string; fault?: 'client' | 'server'; status?: number } = {},
) {
  return Object.assign(new Error(fields.message ?? name), {
    name,
    $fault: fields.fault ?? 'client',
    $metadata: { httpStatusCode: fields.status ?? 400 },
  });
}
