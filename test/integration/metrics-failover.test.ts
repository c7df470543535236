// Per-resource series after a leadership loss, with the real controller and API server: the
// leader exports a resource's series; when another holder takes its Lease, the old leader clears
// them at once (leader_election_master_status 0), so after a failover no resource is exported by
// two replicas.
import { expect } from 'chai';
import {
  customObjects,
  kubectlOk,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import { createScheduledTask, fargateTask, waitFor } from './support/scheduled-runs.js';

describe('per-resource metrics on leadership loss (real controller and API server)', function () {
  this.timeout(90_000);
  const ns = useTestNamespace('metrics-failover');
  const env = loadTestEnv();
  let controller: ControllerProcess | undefined;
  const LEASE = 'metrics-failover';

  after(async () => {
    await controller?.kill('SIGKILL');
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${controller!.metricsPort}/metrics`)).text();

  it('the leader exports the series; after losing its Lease it exports none and says it is not leading', async () => {
    controller = await startController([
      '--namespace',
      ns.name,
      '--policy',
      'off',
      '--leader-elect',
      '--leader-election-namespace',
      ns.name,
      '--leader-election-id',
      LEASE,
      '--lease-duration',
      '6s',
      '--renew-deadline',
      '4s',
      '--retry-period',
      '1s',
    ]);
    // Once a year: nothing launches, but each reconcile exports the next schedule time.
    await createScheduledTask(customObjects(), ns.name, 'yearly', {
      schedule: '0 0 1 1 *',
      task: fargateTask(env),
    });
    const series = `ecs_scheduler_next_schedule_time{namespace="${ns.name}",name="yearly"}`;
    const leading = await waitFor(
      'the leader exporting the resource',
      async () => {
        const text = await scrape();
        return text.includes(series) && text.includes(`leader_election_master_status{name="${LEASE}"} 1`)
          ? text
          : undefined;
      },
      30_000,
    );
    expect(leading).to.contain(series);

    // Another holder takes the Lease (as a replica on the other side of a partition would).
    const now = new Date().toISOString().replace('Z', '000Z');
    await kubectlOk([
      'patch',
      'lease',
      LEASE,
      '-n',
      ns.name,
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        spec: { holderIdentity: 'another-replica', renewTime: now, leaseDurationSeconds: 3600 },
      }),
    ]);
    await controller.waitForLine((l) => l.msg === 'lost leadership', 15_000, '"lost leadership"');
    const after = await waitFor(
      'the old leader clearing its series',
      async () => {
        const text = await scrape();
        return text.includes(`leader_election_master_status{name="${LEASE}"} 0`) ? text : undefined;
      },
      10_000,
    );
    expect(after, 'a per-resource series left behind').to.not.contain(`name="yearly"`);
  });
});
