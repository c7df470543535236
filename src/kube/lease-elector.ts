// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection package.
// The decisions live in lease-decisions.ts; this is the loop: try every retry period, renew while
// leading, and stop leading the moment renewal has failed for the renew deadline.
//
// It is also the launch fence. Timers cannot be trusted to say when leadership ended: a replica
// paused past its lease (a long GC, SIGSTOP, a frozen VM) wakes with its timers late and its
// in-flight passes resuming at once. So `holds()` compares the monotonic clock with the moment
// our last successful write was *sent*; a follower cannot take over before that plus the lease
// duration, because it starts counting only after it has seen the write.
import { systemClock, type Clock } from '../controller/clock.js';
import { ConflictError } from '../controller/errors.js';
import type { LeaseFence } from '../controller/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { describeError } from './api-errors.js';
import type { LeaseClient } from './lease-client.js';
import {
  decide,
  desiredRecord,
  observe,
  releasedRecord,
  validateTimings,
  type Observation,
} from './lease-decisions.js';
import { noopLeaderMetrics, type LeaderMetrics } from './metrics-port.js';

export interface LeaseElectorOptions {
  readonly client: LeaseClient;
  /** Lease name, e.g. `ecs-scheduler-leader`. */
  readonly name: string;
  readonly namespace: string;
  /** Unique per replica: the pod name, plus a random suffix if pods can share a name. */
  readonly identity: string;
  /** How long a follower waits, from the last change it saw, before taking over. Default 15. */
  readonly leaseDurationSeconds?: number;
  /** The leader stops leading when it could not renew for this long. Default 10. */
  readonly renewDeadlineSeconds?: number;
  /** Interval between attempts to acquire or renew. Default 2. */
  readonly retryPeriodSeconds?: number;
  /** On stop(), hand the lease back so a follower takes over at once. Default true. */
  readonly releaseOnStop?: boolean;
  /**
   * Called when this replica becomes leader. `signal` aborts the moment the lease may no longer
   * be ours (taken, or the renew deadline passed): in-flight work must stop then. On a graceful
   * stop() it aborts only once onStoppedLeading has settled. May be called again after a loss,
   * if the lease is won back.
   */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  /**
   * Called when leadership ends (lost, or stop()). During stop() the lease is still renewed, and
   * the fence still holds, while a returned promise is pending, so in-flight work can finish
   * before another replica may start. Called again if the lease is lost while draining.
   */
  readonly onStoppedLeading?: () => void | Promise<void>;
  /** Wall time for the Lease's timestamps, and the timers. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Milliseconds on a clock that never jumps (NTP steps, manual changes), for every duration:
   * lease expiry, the fence, follower health. Default: performance.now().
   */
  readonly monotonicNow?: () => number;
  readonly logger?: Logger;
  readonly metrics?: LeaderMetrics;
  readonly random?: () => number;
}

type State = 'idle' | 'campaigning' | 'stopping' | 'stopped';

export class LeaseElector implements LeaseFence {
  private readonly client: LeaseClient;
  private readonly name: string;
  private readonly namespace: string;
  private readonly identity: string;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnStop: boolean;
  private readonly onStartedLeading: (signal: AbortSignal) => void;
  private readonly onStoppedLeading: () => void | Promise<void>;
  private readonly clock: Clock;
  private readonly monotonicNow: () => number;
  private readonly log: Logger;
  private readonly metrics: LeaderMetrics;
  private readonly random: () => number;

  private state: State = 'idle';
  /** The current term's signal source; aborted when the lease is no longer ours. */
  private leading: AbortController | undefined;
  /** stop() is draining the term: no longer "the leader", but the lease is still ours. */
  private draining = false;
  /** Monotonic ms until which the lease is certainly ours; undefined when it is not. */
  private fencedUntil: number | undefined;
  /** Bumped on every step up or down; a slow attempt from an earlier term cannot act on this one. */
  private term = 0;
  private observation: Observation | undefined;
  /** When (monotonic) the Lease was last read successfully; a follower that cannot is unhealthy. */
  private lastContactMs: number | undefined;
  private cancelTick: (() => void) | undefined;
  private cancelDeadline: (() => void) | undefined;
  private attempt: Promise<void> | undefined;

  constructor(options: LeaseElectorOptions) {
    this.client = options.client;
    this.name = options.name;
    this.namespace = options.namespace;
    this.identity = options.identity;
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    const renewDeadlineSeconds = options.renewDeadlineSeconds ?? 10;
    const retryPeriodSeconds = options.retryPeriodSeconds ?? 2;
    const invalid = validateTimings({
      leaseDurationSeconds: this.leaseDurationSeconds,
      renewDeadlineSeconds,
      retryPeriodSeconds,
    });
    if (invalid !== undefined) throw new Error(`leader election: ${invalid}`);
    if (this.identity === '') throw new Error('leader election: identity must not be empty');
    this.renewDeadlineMs = renewDeadlineSeconds * 1000;
    this.retryPeriodMs = retryPeriodSeconds * 1000;
    this.releaseOnStop = options.releaseOnStop ?? true;
    this.onStartedLeading = options.onStartedLeading;
    this.onStoppedLeading = options.onStoppedLeading ?? (() => undefined);
    this.clock = options.clock ?? systemClock;
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.log = (options.logger ?? silentLogger).child({
      component: 'leader-election',
      lease: `${this.namespace}/${this.name}`,
      identity: this.identity,
    });
    this.metrics = options.metrics ?? noopLeaderMetrics;
    this.random = options.random ?? Math.random;
  }

  isLeader(): boolean {
    return this.leading !== undefined && !this.draining;
  }

  /**
   * The launch fence: true while the lease is ours for at least `marginMs` more, counted on the
   * monotonic clock from when our last successful write was sent. Still true while stop() drains
   * (the lease is renewed meanwhile); false from the moment leadership is lost.
   */
  holds(marginMs: number): boolean {
    return this.fencedUntil !== undefined && this.monotonicNow() + Math.max(0, marginMs) < this.fencedUntil;
  }

  /**
   * For /readyz: the leader, or a follower that reached the Lease within the last lease duration
   * and retry period, so it could take over if the leader went away.
   */
  isHealthy(): boolean {
    if (this.isLeader()) return true;
    if (this.lastContactMs === undefined) return false;
    const window = this.leaseDurationSeconds * 1000 + this.retryPeriodMs;
    return this.monotonicNow() - this.lastContactMs <= window;
  }

  /** The holder we last observed, if any (for logs and /readyz). */
  observedHolder(): string | undefined {
    return this.observation?.record.holderIdentity || undefined;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'campaigning';
    this.metrics.setLeader(false);
    this.log.info('campaigning for leadership');
    this.scheduleTick(0);
  }

  /**
   * Stops campaigning. When leading: waits for onStoppedLeading (renewing the lease meanwhile),
   * aborts the signal, then releases the lease unless releaseOnStop is false.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasCampaigning = this.state === 'campaigning';
    this.state = 'stopping';
    if (this.leading !== undefined) await this.drainAndStepDown();
    this.state = 'stopped';
    this.cancelTick?.();
    this.cancelDeadline?.();
    this.cancelTick = this.cancelDeadline = undefined;
    // Let an attempt already on the wire land first, so the release is based on its result.
    if (this.attempt !== undefined) await this.within(this.attempt, this.renewDeadlineMs);
    if (wasCampaigning && this.releaseOnStop) await this.release();
  }

  /** Hands the lease back if we hold it: no holder, 1 s duration. Never throws. */
  async release(): Promise<void> {
    const seen = this.observation;
    if (seen === undefined || seen.record.holderIdentity !== this.identity) return;
    try {
      const stored = await this.client.update(
        this.namespace,
        this.name,
        releasedRecord(seen.record, this.clock.now()),
        seen.resourceVersion,
      );
      this.observation = observe(seen, stored.record, stored.resourceVersion, this.monotonicNow());
      this.fencedUntil = undefined;
      this.log.info('released the lease');
    } catch (err) {
      // A conflict means someone else already wrote the lease: nothing of ours left to release.
      this.log.warn('could not release the lease', { error: describeError(err) });
    }
  }

  private scheduleTick(delayMs: number): void {
    this.cancelTick?.();
    this.cancelTick = this.clock.setTimer(() => {
      this.cancelTick = undefined;
      void this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (this.state !== 'campaigning' && this.state !== 'stopping') return;
    if (this.attempt === undefined) {
      const attempt = this.runAttempt();
      this.attempt = attempt;
      // A request that hangs must not stall the loop: after the renew deadline it is abandoned
      // (its late result is still applied if it belongs to the current term).
      await this.within(attempt, this.renewDeadlineMs);
      if (this.attempt === attempt) this.attempt = undefined;
    }
    if (this.state === 'campaigning' || this.state === 'stopping') {
      // A leader renews on the period; followers add up to 20 % jitter (client-go's factor 1.2)
      // so that they do not all hit the API server at once.
      const delay = this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + 0.2 * this.random());
      this.scheduleTick(delay);
    }
  }

  private async runAttempt(): Promise<void> {
    const term = this.term;
    // While stopping we only keep a lease we hold alive; we never take one.
    const allowAcquire = this.state === 'campaigning';
    // Sampled before the request leaves: the write lands later, and a follower starts counting
    // our lease duration later still, so the fence may only count from here.
    const sentAt = this.monotonicNow();
    try {
      const holding = await this.tryAcquireOrRenew(allowAcquire);
      if (term === this.term) this.afterAttempt(holding, sentAt);
    } catch (err) {
      this.log.warn(this.leading ? 'failed to renew the lease' : 'failed to acquire the lease', {
        error: describeError(err),
      });
      if (term === this.term) this.afterAttempt(false, sentAt);
    }
  }

  /** Resolves when `promise` settles or after `ms`, whichever is first. */
  private within(promise: Promise<void>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(resolve, ms);
      void promise.finally(() => {
        cancel();
        resolve();
      });
    });
  }

  private afterAttempt(holding: boolean, sentAt: number): void {
    if (holding) {
      if (this.leading === undefined && this.state === 'campaigning') {
        this.extendFence(sentAt);
        this.becomeLeader();
      } else if (this.leading !== undefined) {
        this.extendFence(sentAt);
        this.armDeadline();
      }
      return;
    }
    // Someone else validly holds the lease: our term is over, whatever the deadline says.
    const holder = this.observation?.record.holderIdentity ?? '';
    if (this.leading !== undefined && holder !== '' && holder !== this.identity) {
      void this.loseLeadership(`lease taken by ${holder}`);
    }
  }

  private extendFence(sentAt: number): void {
    const until = sentAt + this.leaseDurationSeconds * 1000;
    this.fencedUntil = Math.max(this.fencedUntil ?? until, until);
  }

  /** One attempt. True when, after it, the stored lease names us with a fresh renewTime. */
  private async tryAcquireOrRenew(allowAcquire: boolean): Promise<boolean> {
    const now = this.clock.now();
    const seen = this.observation;
    // Fast path for a leader: write on top of what we last wrote, no read. A conflict falls back
    // to reading the lease.
    if (this.leading !== undefined && seen !== undefined && seen.record.holderIdentity === this.identity) {
      try {
        await this.write(
          desiredRecord(seen.record, this.identity, now, this.leaseDurationSeconds),
          seen.resourceVersion,
        );
        return true;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    const stored = await this.client.get(this.namespace, this.name);
    const nowMs = this.monotonicNow();
    this.lastContactMs = nowMs;
    if (stored === undefined) {
      if (!allowAcquire) return false;
      try {
        const created = await this.client.create(
          this.namespace,
          this.name,
          desiredRecord(undefined, this.identity, now, this.leaseDurationSeconds),
        );
        this.observation = observe(undefined, created.record, created.resourceVersion, this.monotonicNow());
        return true;
      } catch (err) {
        if (err instanceof ConflictError) return false;
        throw err;
      }
    }
    this.observation = observe(this.observation, stored.record, stored.resourceVersion, nowMs);
    const decision = decide(this.observation, this.identity, nowMs, this.leaseDurationSeconds);
    if (decision === 'follow' || (decision === 'acquire' && !allowAcquire)) return false;
    try {
      await this.write(
        desiredRecord(stored.record, this.identity, now, this.leaseDurationSeconds),
        stored.resourceVersion,
      );
      return true;
    } catch (err) {
      // Another candidate won the race for this version; we will see its record next time.
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  private async write(record: Parameters<LeaseClient['update']>[2], resourceVersion: string): Promise<void> {
    const stored = await this.client.update(this.namespace, this.name, record, resourceVersion);
    this.observation = observe(this.observation, stored.record, stored.resourceVersion, this.monotonicNow());
  }

  private becomeLeader(): void {
    this.term++;
    const controller = new AbortController();
    this.leading = controller;
    this.draining = false;
    this.metrics.setLeader(true);
    this.log.info('became leader');
    this.armDeadline();
    try {
      this.onStartedLeading(controller.signal);
    } catch (err) {
      this.log.error('onStartedLeading failed', { err });
    }
  }

  /** The leader gives up when no renewal succeeded for the renew deadline, even if a request hangs. */
  private armDeadline(): void {
    this.cancelDeadline?.();
    this.cancelDeadline = this.clock.setTimer(() => {
      this.cancelDeadline = undefined;
      void this.loseLeadership('renew deadline exceeded');
    }, this.renewDeadlineMs);
  }

  /**
   * Graceful end of a term (stop()): the lease stays ours and keeps being renewed, so the fence
   * holds while onStoppedLeading lets in-flight work finish; then the term's signal is aborted.
   */
  private async drainAndStepDown(): Promise<void> {
    const controller = this.leading;
    if (controller === undefined || this.draining) return;
    this.draining = true;
    this.metrics.setLeader(false);
    this.log.info('stopping leading: in-flight work may finish while the lease is renewed');
    try {
      await this.onStoppedLeading();
    } catch (err) {
      this.log.error('onStoppedLeading failed', { err });
    }
    // Lost while draining: loseLeadership already aborted the term.
    if (this.leading !== controller) return;
    this.term++;
    this.leading = undefined;
    this.draining = false;
    this.fencedUntil = undefined;
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
    controller.abort(new Error('leadership ended: stopping'));
  }

  /** The lease is no longer ours (or may not be): fence off and abort the term at once. */
  private async loseLeadership(reason: string): Promise<void> {
    const controller = this.leading;
    if (controller === undefined) return;
    this.term++;
    this.leading = undefined;
    this.draining = false;
    this.fencedUntil = undefined;
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
    this.metrics.setLeader(false);
    this.log.warn('lost leadership', { reason });
    controller.abort(new Error(`leadership lost: ${reason}`));
    try {
      await this.onStoppedLeading();
    } catch (err) {
      this.log.error('onStoppedLeading failed', { err });
    }
  }
}
