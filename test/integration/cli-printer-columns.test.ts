// What `kubectl get est` shows, read from the real API server with the checked-in CRD: NEXT as an
// absolute time (a `date` column would print a future time as <invalid>), READY and MESSAGE from
// the Ready condition, and TIMEZONE and RESOLVED only with -o wide.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { expect } from 'chai';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { customObjects, EST, kubectlOk, REPO_ROOT, useTestNamespace, waitFor } from './support/index.js';

/** kubectl's table: a header and rows whose cells are separated by at least three spaces. */
function table(output: string): Record<string, string>[] {
  const [header, ...rows] = output.trimEnd().split('\n');
  const starts = [...(header as string).matchAll(/\S+( \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
  return rows.map((row) =>
    Object.fromEntries(
      starts.map((col, i) => [col.name, row.slice(col.at, starts[i + 1]?.at ?? row.length).trim()]),
    ),
  );
}

describe('kubectl get est printer columns (real API server)', function () {
  this.timeout(60_000);
  const ns = useTestNamespace('columns');
  const FUTURE = '2030-01-01T02:17:00Z';
  const MESSAGE = `Scheduled; next run at ${FUTURE}`;

  before(async () => {
    await kubectlOk([
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      join(REPO_ROOT, 'crds', 'ecsscheduledtasks.yaml'),
    ]);
    await kubectlOk(['wait', '--for=condition=Established', 'crd/ecsscheduledtasks.ecs-scheduler.dev']);
    await kubectlOk(['apply', '-f', '-'], {
      input: stringifyYaml({
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsScheduledTask',
        metadata: { name: 'nightly', namespace: ns.name },
        spec: { schedule: 'H 2 * * *', timeZone: 'Europe/Berlin', task: { taskDefinition: 'report' } },
      }),
    });
    await customObjects().patchNamespacedCustomObjectStatus(
      {
        ...EST,
        namespace: ns.name,
        name: 'nightly',
        body: {
          status: {
            resolvedSchedule: '17 2 * * *',
            scheduleSummary: 'H 2 * * *',
            nextScheduleTime: FUTURE,
            lastResult: 'Succeeded',
            activeCount: 0,
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'Scheduled',
                message: MESSAGE,
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
              {
                type: 'Stalled',
                status: 'False',
                reason: 'Scheduled',
                message: 'not stalled',
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  });

  it('shows NEXT as an absolute time, READY and MESSAGE from the Ready condition, and no wide columns', async () => {
    // An updated CRD reaches the API server's table printer a moment after it is Established.
    const rows = await waitFor('the READY column', async () => {
      const r = table(await kubectlOk(['get', 'est', '-n', ns.name]));
      return r[0]?.READY ? r : undefined;
    });
    expect(rows).to.have.length(1);
    const row = rows[0]!;
    expect(Object.keys(row)).to.deep.equal([
      'NAME',
      'SCHEDULE',
      'SUSPEND',
      'ACTIVE',
      'LAST SCHEDULE',
      'NEXT',
      'LAST RESULT',
      'READY',
      'AGE',
      'MESSAGE',
    ]);
    expect(row).to.include({
      NAME: 'nightly',
      SCHEDULE: 'H 2 * * *',
      NEXT: FUTURE,
      READY: 'True',
      MESSAGE: MESSAGE,
    });
    expect(row['LAST RESULT']).to.equal('Succeeded');
  });

  it('adds TIMEZONE and RESOLVED with -o wide', async () => {
    const [row] = table(await kubectlOk(['get', 'est', '-n', ns.name, '-o', 'wide']));
    expect(row).to.include({ TIMEZONE: 'Europe/Berlin', RESOLVED: '17 2 * * *', NEXT: FUTURE });
  });
});
