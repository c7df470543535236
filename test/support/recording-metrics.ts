// Metrics ports that remember what they were told, for assertions.
import type { RunResult } from '../../src/api/types.js';
import type {
  ControllerMetrics,
  ReconcileOutcome,
  WorkQueueMetrics,
} from '../../src/controller/metrics-port.js';

export class RecordingControllerMetrics implements ControllerMetrics {
  readonly reconciles: { outcome: ReconcileOutcome; seconds: number }[] = [];
  readonly runs: RunResult[] = [];
  readonly launchDelays: number[] = [];
  readonly schedules = new Map<string, { next: Date | undefined; last: Date | undefined }>();
  readonly queueDepths = new Map<string, number>();
  readonly forgotten: string[] = [];

  reconciled(outcome: ReconcileOutcome, seconds: number): void {
    this.reconciles.push({ outcome, seconds });
  }
  runRecorded(result: RunResult): void {
    this.runs.push(result);
  }
  launchDelay(seconds: number): void {
    this.launchDelays.push(seconds);
  }
  scheduleTimes(key: string, next: Date | undefined, last: Date | undefined): void {
    this.schedules.set(key, { next, last });
  }
  queueDepth(key: string, depth: number): void {
    this.queueDepths.set(key, depth);
  }
  forget(key: string): void {
    this.forgotten.push(key);
  }
  readonly lastRuns: { key: string; result: RunResult; lastSuccess: Date | undefined }[] = [];
  lastRun(key: string, result: RunResult, lastSuccess: Date | undefined): void {
    this.lastRuns.push({ key, result, lastSuccess });
  }
  readonly retries: { key: string; reason: string }[] = [];
  runRetried(key: string, reason: string): void {
    this.retries.push({ key, reason });
  }
  readonly deadLetters: { key: string; outcome: string }[] = [];
  deadLetter(key: string, outcome: string): void {
    this.deadLetters.push({ key, outcome });
  }
  readonly denials: { key: string; field: string }[] = [];
  policyDenied(key: string, field: string): void {
    this.denials.push({ key, field });
  }
  readonly adoptionLookupCalls: { key: string; found: number; none: number; waiting: boolean }[] = [];
  adoptionLookups(key: string, done: { found: number; none: number }, waiting: boolean): void {
    this.adoptionLookupCalls.push({ key, ...done, waiting });
  }
}

export class RecordingWorkQueueMetrics implements WorkQueueMetrics {
  readonly depths: number[] = [];
  adds = 0;
  retries = 0;
  readonly queueDurations: number[] = [];
  readonly workDurations: number[] = [];

  depth(n: number): void {
    this.depths.push(n);
  }
  added(): void {
    this.adds++;
  }
  retried(): void {
    this.retries++;
  }
  queueDuration(seconds: number): void {
    this.queueDurations.push(seconds);
  }
  workDuration(seconds: number): void {
    this.workDurations.push(seconds);
  }
}
