// The Argo CD custom health check (manifests/argocd/health-check.lua), run in a real Lua VM
// (fengari, Lua 5.3; the script keeps to the Lua 5.1 subset that Argo CD's gopher-lua runs). As
// in Argo CD, the object is the global `obj`, built from the resource's JSON, and the script
// returns a table with `status` and `message`.
import { expect } from 'chai';
import type { RunRecord } from '../../../src/api/types.js';
import { lastRunCondition } from '../../../src/controller/decide/status-builder.js';
import { argoCdHealth as health, HEALTH_CHECK_SCRIPT as SCRIPT } from '../../support/argocd-health.js';

function condition(type: string, status: 'True' | 'False', reason: string, message: string) {
  return { type, status, reason, message, lastTransitionTime: '2026-03-01T00:00:00Z', observedGeneration: 3 };
}

function resource(status: unknown, spec: Record<string, unknown> = {}, generation = 3) {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { name: 'nightly-report', namespace: 'data', generation, uid: 'u-1' },
    spec: { schedule: 'H 2 * * *', task: { taskDefinition: 'sleeper-task' }, ...spec },
    ...(status === undefined ? {} : { status }),
  };
}

// The conditions as src/controller/ (reconciler, status-builder) writes them.
const ready = condition('Ready', 'True', 'Scheduled', 'the schedule is active');
const notReconciling = condition('Reconciling', 'False', 'Idle', 'nothing in progress');
const notStalled = condition('Stalled', 'False', 'ValidSpec', 'the spec is valid');
/** The condition exactly as the controller builds it for a run with this result. */
function controllerLastRun(result: 'Failed' | 'Succeeded') {
  const run = {
    scheduledTime: '2026-03-01T02:00:00Z',
    result,
    ...(result === 'Failed' ? { reason: 'EssentialContainerExited', message: 'exit code 1' } : {}),
  } as RunRecord;
  const update = lastRunCondition(run, 3)!;
  return { ...update, lastTransitionTime: '2026-03-01T02:05:00Z' };
}
// As lastRunCondition() writes it: reason is the run's result, the message names the run.
const lastRunFailed = (result: string, detail: string) =>
  condition('LastRunSucceeded', 'False', result, `run scheduled at 2026-03-01T02:00:00Z: ${detail}`);

interface Case {
  readonly name: string;
  readonly obj: unknown;
  readonly status: string;
  readonly message?: RegExp;
}

const cases: Case[] = [
  {
    name: 'no status yet: Progressing',
    obj: resource(undefined),
    status: 'Progressing',
    message: /Waiting for the controller/,
  },
  {
    name: 'an empty status: Progressing',
    obj: resource({}),
    status: 'Progressing',
  },
  {
    name: 'observedGeneration behind metadata.generation: Progressing, even with Ready=True',
    obj: resource({ observedGeneration: 2, conditions: [ready, notStalled, notReconciling] }, {}, 3),
    status: 'Progressing',
    message: /generation 3/,
  },
  {
    name: 'Stalled=True: Degraded, with the reason and the message naming the field',
    obj: resource({
      observedGeneration: 3,
      conditions: [
        condition('Ready', 'False', 'InvalidSpec', 'spec.schedule: bad hour'),
        condition('Stalled', 'True', 'InvalidSpec', 'spec.schedule: "0 25 * * *": hour 25 out of range'),
      ],
    }),
    status: 'Degraded',
    message: /^InvalidSpec: spec\.schedule: "0 25 \* \* \*": hour 25 out of range$/,
  },
  {
    name: 'Ready=True: Healthy, with the Ready message',
    obj: resource({ observedGeneration: 3, conditions: [ready, notStalled, notReconciling] }),
    status: 'Healthy',
    message: /^the schedule is active$/,
  },
  {
    name: 'Ready=True and spec.suspend: Suspended',
    obj: resource({ observedGeneration: 3, conditions: [ready, notReconciling] }, { suspend: true }),
    status: 'Suspended',
    message: /Suspended/,
  },
  {
    name: 'suspend: false and Ready=True: Healthy',
    obj: resource({ observedGeneration: 3, conditions: [ready] }, { suspend: false }),
    status: 'Healthy',
  },
  {
    name: 'Ready=True while a launch is retried for capacity (Reconciling=True): still Healthy',
    obj: resource({
      observedGeneration: 3,
      conditions: [
        ready,
        notStalled,
        condition('Reconciling', 'True', 'CapacityUnavailable', 'retrying a launch that found no capacity'),
      ],
    }),
    status: 'Healthy',
  },
  {
    name: 'Ready=False and Reconciling=True: Progressing, with the Reconciling reason',
    obj: resource({
      observedGeneration: 3,
      conditions: [
        condition('Ready', 'False', 'RunInProgress', 'waiting for tasks'),
        condition('Reconciling', 'True', 'RunInProgress', '2 task(s) running'),
      ],
    }),
    status: 'Progressing',
    message: /^RunInProgress: 2 task\(s\) running$/,
  },
  {
    name: 'Ready=False without Reconciling: Degraded, with the Ready reason',
    obj: resource({
      observedGeneration: 3,
      conditions: [condition('Ready', 'False', 'LaunchFailed', 'CapacityUnavailable'), notReconciling],
    }),
    status: 'Degraded',
    message: /^LaunchFailed: CapacityUnavailable$/,
  },
  {
    name: 'a condition without reason or message still gives a message',
    obj: resource({ observedGeneration: 3, conditions: [{ type: 'Ready', status: 'False' }] }),
    status: 'Degraded',
    message: /^NotReady: $/,
  },
  {
    name: 'Ready=Unknown: Progressing',
    obj: resource({ observedGeneration: 3, conditions: [{ type: 'Ready', status: 'Unknown' }] }),
    status: 'Progressing',
  },
  {
    name: 'LastRunSucceeded=False with Ready=True: Degraded, naming the result and the run',
    obj: resource({
      observedGeneration: 3,
      conditions: [
        ready,
        notStalled,
        notReconciling,
        lastRunFailed('Failed', 'EssentialContainerExited: exit 1'),
      ],
    }),
    status: 'Degraded',
    message: /^Last run Failed: run scheduled at 2026-03-01T02:00:00Z: EssentialContainerExited: exit 1$/,
  },
  {
    name: "the controller's own LastRunSucceeded for a failed run (lastRunCondition): Degraded",
    obj: resource({ observedGeneration: 3, conditions: [ready, controllerLastRun('Failed')] }),
    status: 'Degraded',
    message:
      /^Last run Failed: run scheduled at 2026-03-01T02:00:00Z: EssentialContainerExited: exit code 1$/,
  },
  {
    name: "the controller's own LastRunSucceeded for a successful run (lastRunCondition): Healthy",
    obj: resource({ observedGeneration: 3, conditions: [ready, controllerLastRun('Succeeded')] }),
    status: 'Healthy',
  },
  {
    name: 'LastRunSucceeded=False for a launch that failed: Degraded',
    obj: resource({
      observedGeneration: 3,
      conditions: [ready, lastRunFailed('LaunchFailed', 'CapacityUnavailable: no capacity')],
    }),
    status: 'Degraded',
    message: /^Last run LaunchFailed: /,
  },
  {
    name: 'LastRunSucceeded=False for a missed run: Degraded',
    obj: resource({
      observedGeneration: 3,
      conditions: [ready, lastRunFailed('Missed', 'past the deadline')],
    }),
    status: 'Degraded',
    message: /^Last run Missed: /,
  },
  {
    name: 'LastRunSucceeded=False while the next run is under way (Reconciling=True): still Degraded',
    obj: resource({
      observedGeneration: 3,
      conditions: [
        condition('Ready', 'False', 'RunInProgress', 'waiting for tasks'),
        condition('Reconciling', 'True', 'RunInProgress', '1 task(s) running'),
        lastRunFailed('Failed', 'exit 1'),
      ],
    }),
    status: 'Degraded',
  },
  {
    name: 'LastRunSucceeded=False and suspended: Degraded (suspending does not hide the failure)',
    obj: resource(
      { observedGeneration: 3, conditions: [ready, lastRunFailed('Failed', 'exit 1')] },
      { suspend: true },
    ),
    status: 'Degraded',
  },
  {
    name: 'LastRunSucceeded=True with Ready=True: Healthy',
    obj: resource({
      observedGeneration: 3,
      conditions: [
        ready,
        notStalled,
        condition('LastRunSucceeded', 'True', 'Succeeded', 'run scheduled at x: ok'),
      ],
    }),
    status: 'Healthy',
    message: /^the schedule is active$/,
  },
  {
    name: 'Stalled=True and LastRunSucceeded=False: Degraded with the Stalled reason (the spec is the cause to fix)',
    obj: resource({
      observedGeneration: 3,
      conditions: [
        condition('Stalled', 'True', 'InvalidSpec', 'spec.task: bad'),
        lastRunFailed('Failed', 'exit 1'),
      ],
    }),
    status: 'Degraded',
    message: /^InvalidSpec: /,
  },
  {
    name: 'LastRunSucceeded=False for an older generation not yet observed: Progressing',
    obj: resource({ observedGeneration: 2, conditions: [ready, lastRunFailed('Failed', 'exit 1')] }, {}, 3),
    status: 'Progressing',
  },
  {
    name: 'no observedGeneration (an old controller) but Ready=True: Healthy',
    obj: resource({ conditions: [ready] }),
    status: 'Healthy',
  },
];

describe('Argo CD health check (manifests/argocd/health-check.lua)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const h = health(c.obj);
      expect(h.status).to.equal(c.status);
      if (c.message) expect(h.message).to.match(c.message);
      expect(['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown']).to.include(h.status);
    });
  }

  it('keeps to Lua 5.1: no goto, no integer division, no bitwise operators (but ~= is not-equal), no utf8 library', () => {
    const code = SCRIPT.replace(/--.*$/gm, '');
    expect(code).to.not.match(/\bgoto\b|\/\/|::\w+::|~(?!=)|[&|]|<<|>>|\butf8\./);
  });
});
