import { expect } from 'chai';
import { RUN_NOW_ANNOTATION } from '../../../src/api/constants.js';
import { clusterCommand, resourceRef } from '../../../src/cli/cluster-command.js';
import { runsVerb } from '../../../src/cli/runs-command.js';
import { suspendVerbs } from '../../../src/cli/suspend-command.js';
import { runNowValue, triggerVerb, triggerVerbWith, WAIT_POLL_MS } from '../../../src/cli/trigger-command.js';
import { recordingIo } from '../../support/recording-io.js';
import { FakeCluster, scheduledTask } from './fake-cluster.js';

const now = new Date('2026-03-01T12:00:00Z');
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const OTHER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/aaaabbbbccccddddeeeeffff00001111';

function cluster(): FakeCluster {
  return new FakeCluster('data').add(scheduledTask('data', 'report')).add(
    scheduledTask('data', 'nightly', {
      status: {
        nextScheduleTime: '2026-03-02T02:17:00Z',
        runs: [
          {
            scheduledTime: '2026-03-01T11:00:00.000Z',
            launchedAt: '2026-03-01T11:00:01Z',
            result: 'Running',
            tasks: [{ taskArn: TASK_ARN, lastStatus: 'RUNNING' }],
          },
          {
            scheduledTime: '2026-03-01T10:00:00Z',
            launchedAt: '2026-03-01T10:00:02Z',
            finishedAt: '2026-03-01T10:03:07Z',
            result: 'Failed',
            reason: 'EssentialContainerExited',
            message: 'app exited 1',
            tasks: [
              { taskArn: TASK_ARN, exitCodes: { app: 1, sidecar: 0 } },
              { taskArn: OTHER_ARN, exitCodes: { app: 0 } },
            ],
          },
          { scheduledTime: '2026-03-01T09:00:00Z', result: 'Missed', reason: 'StartingDeadlineExceeded' },
        ],
      },
    }),
  );
}

describe('cluster verbs', () => {
  describe('resource argument', () => {
    const cases = [
      {
        name: 'NAMESPACE/NAME',
        arg: 'data/report',
        flag: undefined,
        want: { namespace: 'data', name: 'report' },
      },
      { name: 'NAME takes -n', arg: 'report', flag: 'ops', want: { namespace: 'ops', name: 'report' } },
      {
        name: "NAME takes the context's namespace",
        arg: 'report',
        flag: undefined,
        want: { namespace: 'ctx', name: 'report' },
      },
      {
        name: 'NAMESPACE/NAME agreeing with -n',
        arg: 'ops/report',
        flag: 'ops',
        want: { namespace: 'ops', name: 'report' },
      },
    ];
    for (const c of cases) {
      it(c.name, () => expect(resourceRef(c.arg, c.flag, 'ctx')).to.deep.equal(c.want));
    }
    const bad = [
      {
        name: 'conflicting -n',
        arg: 'ops/report',
        flag: 'data',
        error: /names namespace "ops" but -n says "data"/,
      },
      { name: 'too many slashes', arg: 'a/b/c', flag: undefined, error: /not NAMESPACE\/NAME or NAME/ },
      { name: 'empty name', arg: 'ops/', flag: undefined, error: /not NAMESPACE\/NAME or NAME/ },
      {
        name: 'invalid namespace',
        arg: 'Ops/report',
        flag: undefined,
        error: /"Ops" is not a valid namespace/,
      },
    ];
    for (const c of bad) {
      it(`refuses ${c.name}`, () => expect(() => resourceRef(c.arg, c.flag, 'ctx')).to.throw(c.error));
    }
  });

  describe('common flags', () => {
    it('passes --kubeconfig and --context to the connection, and $KUBECONFIG when no flag', async () => {
      const fake = cluster();
      const io = { ...recordingIo(now), env: { KUBECONFIG: '/env/config' } };
      const command = clusterCommand(runsVerb, fake.connect);
      expect(await command(['data/report', '--context', 'staging'], io)).to.equal(0);
      expect(await command(['data/report', '--kubeconfig', '/flag/config'], io)).to.equal(0);
      expect(fake.connections).to.deep.equal([
        { kubeconfig: '/env/config', context: 'staging' },
        { kubeconfig: '/flag/config', context: undefined },
      ]);
    });

    for (const verb of [triggerVerb, runsVerb, suspendVerbs.suspend, suspendVerbs.resume]) {
      it(`${verb.name} --help prints its usage and exits 0 without connecting`, async () => {
        const fake = cluster();
        const io = recordingIo(now);
        expect(await clusterCommand(verb, fake.connect)(['--help'], io)).to.equal(0);
        expect(io.out).to.match(new RegExp(`^Usage: ecs-scheduler ${verb.name} \\[NAMESPACE/\\]NAME`));
        expect(io.out).to.include('--kubeconfig FILE').and.include('-n, --namespace NS');
        expect(fake.connections).to.have.length(0);
      });
    }

    it('exits 2 with the usage on a missing resource argument or an unknown flag', async () => {
      for (const args of [[], ['data/report', '--nope']]) {
        const io = recordingIo(now);
        expect(await clusterCommand(triggerVerb, cluster().connect)(args, io)).to.equal(2);
        expect(io.err).to.include('Usage: ecs-scheduler trigger');
      }
    });

    it('refuses a malformed NAMESPACE/NAME with exit 2 before reading any kubeconfig', async () => {
      const fake = cluster();
      const io = recordingIo(now);
      expect(await clusterCommand(runsVerb, fake.connect)(['a/b/c'], io)).to.equal(2);
      expect(io.err).to.match(/^runs: "a\/b\/c" is not NAMESPACE\/NAME or NAME\n\nUsage:/);
      expect(fake.connections).to.have.length(0);
    });

    it('exits 1 with the not-found message', async () => {
      const io = recordingIo(now);
      expect(await clusterCommand(triggerVerb, cluster().connect)(['data/absent'], io)).to.equal(1);
      expect(io.err).to.equal('trigger: ecsscheduledtask "absent" not found in namespace "data"\n');
    });

    it('exits 1 with the forbidden message', async () => {
      const fake = cluster();
      fake.forbidden = true;
      const io = recordingIo(now);
      expect(await clusterCommand(runsVerb, fake.connect)(['data/report'], io)).to.equal(1);
      expect(io.err).to.match(/^runs: forbidden: User "dev" cannot get/);
    });
  });

  describe('trigger', () => {
    it('merge-patches only the run-now annotation, with a value new each time', async () => {
      const fake = cluster();
      const command = clusterCommand(triggerVerb, fake.connect);
      const first = recordingIo(now);
      expect(await command(['report', '-n', 'data'], first)).to.equal(0);
      expect(await command(['data/report'], recordingIo(now))).to.equal(0);
      expect(fake.patches).to.have.length(2);
      const values = fake.patches.map((p) => {
        expect(Object.keys(p.patch)).to.deep.equal(['metadata']);
        const annotations = (p.patch.metadata as { annotations: Record<string, string> }).annotations;
        expect(Object.keys(annotations)).to.deep.equal([RUN_NOW_ANNOTATION]);
        return annotations[RUN_NOW_ANNOTATION] as string;
      });
      expect(values[0]).to.match(/^cli-2026-03-01T12:00:00Z-[0-9a-f]{6}$/);
      expect(values[0]).to.not.equal(values[1]);
      expect(first.out).to.include(`data/report triggered (${RUN_NOW_ANNOTATION}=${values[0]})`);
    });

    it('refuses a suspended resource, whose run-now the controller would skip', async () => {
      const fake = new FakeCluster().add(
        scheduledTask('data', 'report', { spec: { suspend: true } as never }),
      );
      const io = recordingIo(now);
      expect(await clusterCommand(triggerVerb, fake.connect)(['data/report'], io)).to.equal(1);
      expect(io.err).to.include('is suspended').and.include('ecs-scheduler resume data/report');
      expect(fake.patches).to.have.length(0);
    });

    describe('--wait', () => {
      const run = {
        scheduledTime: '2026-03-01T12:00:01Z',
        launchedAt: '2026-03-01T12:00:01Z',
        result: 'Running' as const,
        tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/prod/abc' }],
      };
      /** Plays the controller: it takes the annotation on the `reads`-th read after the patch. */
      function controllerAfter(fake: FakeCluster, reads: number): void {
        let patchedAt: number | undefined;
        fake.onGet = (stored, gets) => {
          const value = stored.metadata.annotations?.[RUN_NOW_ANNOTATION];
          if (value === undefined) return;
          patchedAt ??= gets;
          if (gets - patchedAt + 1 >= reads) stored.status = { lastRunNow: value, runs: [run] };
        };
      }

      it('waits until status.lastRunNow shows the value, then prints the run', async () => {
        const fake = cluster();
        controllerAfter(fake, 3);
        const sleeps: number[] = [];
        const command = clusterCommand(
          triggerVerbWith({ sleep: async (ms) => void sleeps.push(ms) }),
          fake.connect,
        );
        const io = recordingIo(now);
        expect(await command(['data/report', '--wait'], io), io.err).to.equal(0);
        expect(sleeps).to.deep.equal([WAIT_POLL_MS, WAIT_POLL_MS]);
        const lines = io.out.trimEnd().split('\n');
        expect(lines[0]).to.match(/^data\/report triggered /);
        expect(lines[1]).to.match(/^SCHEDULED +RESULT/);
        expect(lines[2]).to.match(
          /^2026-03-01T12:00:01Z +Running +- +1 +- +- +https:\/\/eu-west-1\.console\.aws\.amazon\.com\/ecs\/v2\/clusters\/prod\/tasks\/abc$/,
        );
      });

      it('gives up after --timeout with a hint', async () => {
        const fake = cluster();
        const sleeps: number[] = [];
        const command = clusterCommand(
          triggerVerbWith({ sleep: async (ms) => void sleeps.push(ms) }),
          fake.connect,
        );
        const io = recordingIo(now);
        expect(await command(['data/report', '-w', '--timeout', '2'], io)).to.equal(1);
        expect(sleeps).to.have.length(2000 / WAIT_POLL_MS);
        expect(io.err).to.equal(
          'trigger: the controller has not taken the run-now of data/report within 2s; is it running and watching namespace data?\n',
        );
      });

      it('refuses --timeout without --wait, and a timeout that is no number', async () => {
        for (const args of [
          ['--timeout', '5'],
          ['--wait', '--timeout', '5s'],
        ]) {
          const io = recordingIo(now);
          expect(await clusterCommand(triggerVerb, cluster().connect)(['data/report', ...args], io)).to.equal(
            2,
          );
          expect(io.err).to.match(/--timeout/);
        }
      });
    });

    it('builds the value from the time and the random part', () => {
      expect(runNowValue(new Date('2026-03-01T12:00:00.123Z'), () => 'abc123')).to.equal(
        'cli-2026-03-01T12:00:00Z-abc123',
      );
    });
  });

  describe('suspend and resume', () => {
    const cases = [
      {
        name: 'suspend a running resource',
        verb: suspendVerbs.suspend,
        start: false,
        patched: true,
        out: 'data/report suspended\n',
      },
      {
        name: 'resume a suspended resource',
        verb: suspendVerbs.resume,
        start: true,
        patched: true,
        out: 'data/report resumed\n',
      },
      {
        name: 'suspend twice',
        verb: suspendVerbs.suspend,
        start: true,
        patched: false,
        out: 'data/report is already suspended; nothing changed\n',
      },
      {
        name: 'resume twice',
        verb: suspendVerbs.resume,
        start: false,
        patched: false,
        out: 'data/report is already running on schedule; nothing changed\n',
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const fake = new FakeCluster().add(
          scheduledTask('data', 'report', { spec: { suspend: c.start } as never }),
        );
        const io = recordingIo(now);
        expect(await clusterCommand(c.verb, fake.connect)(['data/report'], io)).to.equal(0);
        expect(io.out).to.equal(c.out);
        expect(fake.patches.map((p) => p.patch)).to.deep.equal(
          c.patched ? [{ spec: { suspend: c.verb === suspendVerbs.suspend } }] : [],
        );
        expect((await fake.get({ namespace: 'data', name: 'report' })).spec.schedule).to.equal('0 * * * *');
      });
    }
  });

  describe('runs', () => {
    it('prints a table with exit codes, durations and a console link per task', async () => {
      const io = recordingIo(now);
      expect(await clusterCommand(runsVerb, cluster().connect)(['data/nightly'], io)).to.equal(0);
      const link = (id: string) =>
        `https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/${id}`;
      expect(io.out.split('\n').map((l) => l.split(/ {3,}/))).to.deep.equal([
        ['SCHEDULED', 'RESULT', 'REASON', 'TASKS', 'EXIT CODES', 'DURATION', 'CONSOLE'],
        [
          '2026-03-01T11:00:00Z',
          'Running',
          '-',
          '1',
          '-',
          '59m59s+',
          link('0f1e2d3c4b5a69788796a5b4c3d2e1f0'),
        ],
        [
          '2026-03-01T10:00:00Z',
          'Failed',
          'EssentialContainerExited',
          '2',
          'app=1,sidecar=0',
          '3m05s',
          link('0f1e2d3c4b5a69788796a5b4c3d2e1f0'),
        ],
        ['', 'app=0', link('aaaabbbbccccddddeeeeffff00001111')],
        ['2026-03-01T09:00:00Z', 'Missed', 'StartingDeadlineExceeded', '0', '-', '-', '-'],
        [''],
      ]);
    });

    it("counts tasks left out of the record and links old-format ARNs through the run's cluster", async () => {
      const fake = new FakeCluster().add(
        scheduledTask('data', 'wide-run', {
          status: {
            runs: [
              {
                scheduledTime: '2026-03-01T10:00:00Z',
                result: 'Succeeded',
                cluster: 'batch',
                tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/abc', exitCodes: { app: 0 } }],
                omittedTasks: { Succeeded: 8, Failed: 1 },
              },
            ],
          },
        }),
      );
      const io = recordingIo(now);
      expect(await clusterCommand(runsVerb, fake.connect)(['data/wide-run'], io)).to.equal(0);
      expect(io.out.split('\n').map((l) => l.split(/ {3,}/))).to.deep.equal([
        ['SCHEDULED', 'RESULT', 'REASON', 'TASKS', 'EXIT CODES', 'DURATION', 'CONSOLE'],
        [
          '2026-03-01T10:00:00Z',
          'Succeeded',
          '-',
          '10',
          'app=0',
          '-',
          'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/batch/tasks/abc',
        ],
        ['', '+9 not listed: Succeeded=8,Failed=1'],
        [''],
      ]);
    });

    it('shows the attempt, the earlier attempts and the dead-letter state of retried runs', async () => {
      const arn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/prod/${id}`;
      const fake = new FakeCluster().add(
        scheduledTask('data', 'retried', {
          status: {
            runs: [
              {
                scheduledTime: '2026-03-01T11:00:00Z',
                result: 'Failed',
                reason: 'NonZeroExit',
                cluster: 'prod',
                attempt: 3,
                launchedAt: '2026-03-01T11:02:00Z',
                finishedAt: '2026-03-01T11:03:00Z',
                tasks: [{ taskArn: arn('c3'), exitCodes: { app: 2 } }],
                attempts: [
                  {
                    attempt: 1,
                    result: 'Failed',
                    reason: 'NonZeroExit',
                    launchedAt: '2026-03-01T11:00:00Z',
                    finishedAt: '2026-03-01T11:00:30Z',
                    taskCounts: { Failed: 1 },
                    failedTask: arn('a1'),
                  },
                  { attempt: 2, result: 'LaunchFailed', reason: 'CapacityUnavailable' },
                ],
                deadLetter: { state: 'Sent', sentAt: '2026-03-01T11:03:01Z', messageId: 'm-1' },
              },
              { scheduledTime: '2026-03-01T10:00:00Z', result: 'Succeeded', cluster: 'prod' },
            ],
          },
        }),
      );
      const io = recordingIo(now);
      expect(await clusterCommand(runsVerb, fake.connect)(['data/retried'], io)).to.equal(0);
      const link = (id: string) =>
        `https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/${id}`;
      const table = io.out.split('\n').map((l) => l.trimEnd().split(/ {3,}/));
      expect(table).to.deep.equal([
        [
          'SCHEDULED',
          'RESULT',
          'REASON',
          'ATTEMPT',
          'TASKS',
          'EXIT CODES',
          'DURATION',
          'DEAD LETTER',
          'CONSOLE',
        ],
        ['2026-03-01T11:00:00Z', 'Failed', 'NonZeroExit', '3', '1', 'app=2', '1m00s', 'Sent', link('c3')],
        // The empty DEAD LETTER cell of an attempt row is only spaces.
        ['', 'Failed', 'NonZeroExit', '1', '1', '-', '30s', link('a1')],
        ['', 'LaunchFailed', 'CapacityUnavailable', '2', '0', '-', '-', '-'],
        ['2026-03-01T10:00:00Z', 'Succeeded', '-', '1', '0', '-', '-', '-', '-'],
        [''],
      ]);
    });

    it('adds the message with -o wide', async () => {
      const io = recordingIo(now);
      await clusterCommand(runsVerb, cluster().connect)(['data/nightly', '-o', 'wide'], io);
      expect(io.out.split('\n')[0]).to.match(/CONSOLE +MESSAGE$/);
      expect(io.out.split('\n')[2]).to.match(/app exited 1$/);
    });

    it('prints JSON with the console link beside each task', async () => {
      const io = recordingIo(now);
      expect(await clusterCommand(runsVerb, cluster().connect)(['data/nightly', '-o', 'json'], io)).to.equal(
        0,
      );
      const doc = JSON.parse(io.out) as {
        namespace: string;
        runs: { durationSeconds?: number; tasks: { consoleUrl?: string }[] }[];
      };
      expect(doc.namespace).to.equal('data');
      expect(doc.runs.map((r) => r.durationSeconds)).to.deep.equal([3599, 185, undefined]);
      expect(doc.runs[1]?.tasks[1]?.consoleUrl).to.match(/tasks\/aaaabbbbccccddddeeeeffff00001111$/);
    });

    it('prints YAML', async () => {
      const io = recordingIo(now);
      expect(await clusterCommand(runsVerb, cluster().connect)(['data/nightly', '-o', 'yaml'], io)).to.equal(
        0,
      );
      expect(io.out).to.match(
        /^namespace: data\nname: nightly\nruns:\n {2}- scheduledTime: "?2026-03-01T11:00:00.000Z"?\n/,
      );
    });

    it('says when there are no runs yet, and when the next one is due', async () => {
      const fake = cluster();
      fake.add(scheduledTask('data', 'fresh', { status: { nextScheduleTime: '2026-03-01T13:00:00Z' } }));
      const cases = [
        { arg: 'data/fresh', out: 'No runs of data/fresh yet; the next is due at 2026-03-01T13:00:00Z.\n' },
        {
          arg: 'data/report',
          out: 'No runs of data/report yet; the controller has not reported on it yet.\n',
        },
      ];
      for (const c of cases) {
        const io = recordingIo(now);
        expect(await clusterCommand(runsVerb, fake.connect)([c.arg], io)).to.equal(0);
        expect(io.out).to.equal(c.out);
      }
    });

    it('refuses an unknown output format before connecting', async () => {
      const fake = cluster();
      const io = recordingIo(now);
      expect(await clusterCommand(runsVerb, fake.connect)(['data/nightly', '-o', 'csv'], io)).to.equal(2);
      expect(io.err).to.include('--output must be one of table, wide, json, yaml, not "csv"');
      expect(fake.connections).to.have.length(0);
    });
  });
});
