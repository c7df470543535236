// A retry is a launch like any other: it sends exactly what this pass's policy verdict judged (the
// current spec.task, in the current cluster), and a policy that stops allowing the resource stops
// its retries too, each recorded with why and a Warning event.
import { expect } from 'chai';
import type { EcsSchedulerPolicyResource, PolicySpec } from '../../../../src/api/policy-types.js';
import type { RunRecord, Spec } from '../../../../src/api/types.js';
import { PolicyIndex } from '../../../../src/policy/policy-index.js';
import { harness } from './harness.js';

const firstLaunch = '2026-03-01T10:00:05.000Z';
const firstStop = '2026-03-01T10:00:40.000Z';
const firstSeen = '2026-03-01T10:01:00.000Z';
const duringBackoff = '2026-03-01T10:01:10.000Z';
const firstRetry = '2026-03-01T10:01:30.000Z';
const later = '2026-03-01T10:05:00.000Z';

const retrying: Partial<Spec> = {
  retryPolicy: { maxRetries: 2, backoffSeconds: 30 },
  task: { cluster: 'batch-a', taskDefinition: 'report' },
};

function policy(spec: Omit<PolicySpec, 'namespaceSelector'>): EcsSchedulerPolicyResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsSchedulerPolicy',
    metadata: { name: 'team-data' },
    spec: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } }, ...spec },
  };
}

const only = (runs: readonly RunRecord[]) => {
  expect(runs).to.have.length(1);
  return runs[0]!;
};

/** Runs one failed attempt and leaves the run waiting for its retry at 10:01:30. */
async function failedOnce(allowed: Omit<PolicySpec, 'namespaceSelector'>) {
  const gate = new PolicyIndex({ defaultCluster: 'default' });
  gate.upsertPolicy(policy(allowed));
  const h = harness(retrying, { deps: { policy: gate } });
  await h.reconcile(firstLaunch);
  h.clock.set(firstStop);
  h.launcher.finishAll({ app: 1 });
  await h.reconcile(firstSeen);
  expect(only(h.runs())).to.include({ result: 'Running', reason: 'Retrying', retryAt: firstRetry });
  return { h, gate };
}

describe('Reconciler: retries are judged again', () => {
  it('a spec that moves to another cluster cancels the waiting retry: nothing is launched in the old one', async () => {
    const { h, gate } = await failedOnce({
      clusters: ['batch-a', 'batch-b'],
      taskDefinitions: ['report', 'payments'],
    });
    h.apply({ task: { cluster: 'batch-b', taskDefinition: 'payments' } });
    await h.reconcile(duringBackoff);
    const run = only(h.runs());
    expect(run).to.include({ result: 'Failed', reason: 'NonZeroExit', attempt: 1 });
    expect(run.retryAt).to.equal(undefined);
    expect(run.message).to.match(/no retry: spec\.task\.cluster is now batch-b, and the run's was batch-a/);
    expect(h.events.events.at(-1)).to.include({ type: 'Warning', reason: 'RunFailed' });
    expect(h.metrics.runs).to.deep.equal(['Failed']);

    await h.reconcile(firstRetry);
    await h.reconcile(later);
    expect(h.launcher.runRequests.map((r) => [r.cluster, r.task.taskDefinition])).to.deep.equal([
      ['batch-a', 'report'],
    ]);
    // Every request sent is one the policy allows as sent.
    for (const sent of h.launcher.runRequests) {
      const resource = {
        ...h.resource(),
        spec: { ...h.resource().spec, task: { ...sent.task, cluster: sent.cluster } },
      };
      expect(gate.evaluate(resource).allowed).to.equal(true);
    }
  });

  it('a retry in the same cluster sends the current, judged spec.task', async () => {
    const { h } = await failedOnce({ clusters: ['batch-a'], taskDefinitions: ['report', 'report-fixed'] });
    h.apply({ task: { cluster: 'batch-a', taskDefinition: 'report-fixed' } });
    await h.reconcile(firstRetry);
    expect(h.launcher.runRequests.map((r) => [r.cluster, r.task.taskDefinition])).to.deep.equal([
      ['batch-a', 'report'],
      ['batch-a', 'report-fixed'],
    ]);
    expect(only(h.runs())).to.include({ result: 'Running', attempt: 2 });
  });

  it('a cluster removed from the policy gets no more retries: the run ends with why and a Warning event', async () => {
    const { h, gate } = await failedOnce({ clusters: ['batch-a'], taskDefinitions: ['report'] });
    gate.upsertPolicy(policy({ clusters: ['batch-b'], taskDefinitions: ['report'] }));
    await h.reconcile(duringBackoff);
    const run = only(h.runs());
    expect(run).to.include({ result: 'Failed', reason: 'NonZeroExit', attempt: 1 });
    expect(run.retryAt).to.equal(undefined);
    expect(run.message).to.match(
      /no retry: the EcsSchedulerPolicies no longer allow it: spec\.task\.cluster "batch-a" is not allowed/,
    );
    const warnings = h.events.events.filter((e) => e.type === 'Warning').map((e) => e.reason);
    expect(warnings).to.include('PolicyDenied').and.include('RunFailed');
    expect(h.metrics.runs).to.deep.equal(['Failed']);

    // Allowed again later: the old run stays over, nothing is launched for it.
    gate.upsertPolicy(policy({ clusters: ['batch-a'], taskDefinitions: ['report'] }));
    await h.reconcile(later);
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.runs().find((r) => r.scheduledTime === '2026-03-01T10:00:00.000Z')).to.include({
      result: 'Failed',
      attempt: 1,
    });
  });

  it('a run short of tasks launches no remainder in its old cluster once the spec names another', async () => {
    const h = harness({ taskCount: 2, task: { cluster: 'batch-a', taskDefinition: 'report' } });
    h.launcher.script({ launch: 1 }, { launch: 0 });
    await h.reconcile(firstLaunch);
    expect(only(h.runs())).to.include({ result: 'Running', reason: 'CapacityUnavailable' });
    h.apply({ task: { cluster: 'batch-b', taskDefinition: 'report' } });
    await h.reconcile('2026-03-01T10:00:10.000Z');
    await h.reconcile('2026-03-01T10:00:30.000Z');
    expect(h.launcher.runRequests.map((r) => [r.cluster, r.count])).to.deep.equal([['batch-a', 2]]);
    const run = only(h.runs());
    expect(run).to.include({ result: 'Running', launchCount: 1 });
    expect(run.message).to.match(/launched 1 of 2; spec\.task\.cluster is now batch-b/);
    expect(h.events.events.at(-1)).to.include({ type: 'Warning', reason: 'LaunchFailed' });
  });

  it('a run that launched nothing yet ends LaunchFailed (SpecChanged) instead', async () => {
    const h = harness({ task: { cluster: 'batch-a', taskDefinition: 'report' } });
    h.launcher.script({ launch: 0 });
    await h.reconcile(firstLaunch);
    h.apply({ task: { cluster: 'batch-b', taskDefinition: 'report' } });
    await h.reconcile('2026-03-01T10:00:10.000Z');
    expect(h.launcher.runRequests.map((r) => r.cluster)).to.deep.equal(['batch-a']);
    expect(only(h.runs())).to.include({ result: 'LaunchFailed', reason: 'SpecChanged' });
    expect(h.metrics.runs).to.deep.equal(['LaunchFailed']);
  });
});
