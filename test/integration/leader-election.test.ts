// Two LeaseElectors racing for one real coordination.k8s.io/v1 Lease.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { KubeLeaseClient } from '../../src/kube/lease-client.js';
import { LeaseElector } from '../../src/kube/lease-elector.js';
import { kubeConfig, useTestNamespace } from './support/index.js';

async function eventually(what: string, probe: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (probe()) return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Short timings so the test runs in seconds; same ratios as the defaults 15/10/2.
const LEASE_SECONDS = 3;
const timings = { leaseDurationSeconds: LEASE_SECONDS, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.4 };

describe('leader election (real API server)', function () {
  const ns = useTestNamespace('leader-election');
  const electors: LeaseElector[] = [];

  function candidate(identity: string, leaseName: string, releaseOnStop = true) {
    const state = { leading: false, started: 0, signal: undefined as AbortSignal | undefined };
    const elector = new LeaseElector({
      client: new KubeLeaseClient(kubeConfig()),
      name: leaseName,
      namespace: ns.name,
      identity,
      ...timings,
      releaseOnStop,
      onStartedLeading: (signal) => {
        state.leading = true;
        state.started++;
        state.signal = signal;
      },
      onStoppedLeading: () => {
        state.leading = false;
      },
    });
    electors.push(elector);
    return { elector, state };
  }

  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
  });

  async function exactlyOneLeads(a: LeaseElector, b: LeaseElector) {
    await eventually('a leader', () => a.isLeader() || b.isLeader(), 10_000);
    // Watch for a while: never two leaders, never none once elected.
    for (let i = 0; i < 20; i++) {
      expect([a.isLeader(), b.isLeader()].filter(Boolean)).to.have.length(1);
      await sleep(100);
    }
    return a.isLeader() ? [a, b] : [b, a];
  }

  it('exactly one of two leads; a released lease passes over at the next retry', async () => {
    const a = candidate('replica-a', 'released');
    const b = candidate('replica-b', 'released');
    a.elector.start();
    b.elector.start();
    const [leader, follower] = await exactlyOneLeads(a.elector, b.elector);
    const leaderState = leader === a.elector ? a.state : b.state;

    await leader!.stop();
    expect(leaderState.signal?.aborted).to.equal(true);
    const took = await eventually('takeover', () => follower!.isLeader(), LEASE_SECONDS * 1000);
    expect(took).to.be.below(LEASE_SECONDS * 1000);

    const lease = await kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'released', namespace: ns.name });
    expect(lease.spec?.holderIdentity).to.equal(follower === a.elector ? 'replica-a' : 'replica-b');
  });

  it('a leader that dies without releasing is replaced within the lease duration', async () => {
    const a = candidate('replica-a', 'crashed', false);
    const b = candidate('replica-b', 'crashed', false);
    a.elector.start();
    b.elector.start();
    const [leader, follower] = await exactlyOneLeads(a.elector, b.elector);
    const stoppedAt = Date.now();
    await leader!.stop();
    expect(follower!.isLeader()).to.equal(false);
    await eventually('takeover', () => follower!.isLeader(), (LEASE_SECONDS + 2) * 1000);
    const elapsed = Date.now() - stoppedAt;
    // Not before the dead leader's lease could have run out, and not much after.
    expect(elapsed).to.be.at.least((LEASE_SECONDS - timings.retryPeriodSeconds * 2) * 1000);
    expect(elapsed).to.be.below((LEASE_SECONDS + 2 * timings.retryPeriodSeconds + 1) * 1000);
  });
});
