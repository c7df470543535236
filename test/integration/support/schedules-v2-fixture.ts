// The setup every schedules-v2 suite shares (controller-schedules-v2.test.ts and the scenarios of
// schedules-v2-scenarios.ts, scaled in CI and at full scale in test/long): a namespace of the
// suite's own, the controller process watching it, and the clients and helpers their tests use.
// One copy, so that the suites cannot drift apart in how they start, stop or read the controller.
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { ecsClient } from './aws.js';
import { startController, type ControllerProcess } from './controller-process.js';
import { loadTestEnv, type TestEnv } from './env.js';
import { customObjects, useTestNamespace, type TestNamespace } from './kube.js';
import { createScheduledTask, fargateTask, getScheduledTask, ticksBetween } from './scheduled-runs.js';

export interface SchedulesV2Fixture {
  readonly ns: TestNamespace;
  readonly env: TestEnv;
  readonly api: CustomObjectsApi;
  readonly ecs: ECSClient;
  /**
   * Creates an EcsScheduledTask with `spec` plus a Fargate task and a history long enough that
   * every run of a test stays in status.runs.
   */
  readonly create: (name: string, spec: Record<string, unknown>) => Promise<EcsScheduledTaskResource>;
  readonly get: (name: string) => Promise<EcsScheduledTaskResource>;
  /** The ticks of `periodSeconds` after the resource's creation, up to its lastScheduleTime. */
  readonly ticksOf: (resource: EcsScheduledTaskResource, periodSeconds: number) => number[];
  /** Starts the controller on the suite's namespace; it is SIGKILLed after each test. */
  readonly startController: () => Promise<ControllerProcess>;
  /** Sends `signal` to the running controller and resolves with its exit code (or signal name). */
  readonly stopController: (signal: NodeJS.Signals) => Promise<number | string>;
}

/**
 * Declares the fixture for the enclosing mocha suite (like useTestNamespace, whose hooks it
 * registers): call it in the describe body, use it inside tests. Its functions need no `this`,
 * so a suite may destructure them.
 */
export function useSchedulesV2Fixture(namespacePrefix: string): SchedulesV2Fixture {
  const ns = useTestNamespace(namespacePrefix);
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  const history = { successfulRunsHistoryLimit: 100, failedRunsHistoryLimit: 100 };
  let controller: ControllerProcess | undefined;

  afterEach(async () => {
    await controller?.kill('SIGKILL');
    controller = undefined;
  });
  after(() => ecs.destroy());

  return {
    ns,
    env,
    api,
    ecs,
    create: (name, spec) =>
      createScheduledTask(api, ns.name, name, { ...spec, ...history, task: fargateTask(env) }),
    get: (name) => getScheduledTask(api, ns.name, name),
    ticksOf: (resource, periodSeconds) =>
      ticksBetween(resource.metadata.creationTimestamp!, resource.status!.lastScheduleTime!, periodSeconds),
    startController: async () => {
      controller = await startController(['--namespace', ns.name]);
      return controller;
    },
    stopController: async (signal) => {
      if (!controller) throw new Error('no controller is running');
      // Cleared only once it has exited: if it never does, afterEach still SIGKILLs it.
      const code = await controller.kill(signal);
      controller = undefined;
      return code;
    },
  };
}
