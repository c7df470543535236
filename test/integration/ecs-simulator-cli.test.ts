// The ECS simulator as other processes use it (the torture suite, the controller benchmark): its
// CLI prints its endpoint as one JSON line, the SDK and the control API reach it, bad flags are
// refused with the usage, and SIGTERM ends it cleanly.
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { captureRun, REPO_ROOT } from './support/index.js';

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const MAIN = ['--import', 'tsx', 'test/support/ecs-simulator/main.ts'];

describe('ECS simulator CLI', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('prints its endpoint, serves the SDK and the control API, and exits 0 on SIGTERM', async () => {
    child = spawn(
      NODE,
      [
        ...MAIN,
        '--port',
        '0',
        '--quotas',
        'off',
        '--cluster',
        'cli',
        '--task-definition',
        JSON.stringify({ family: 'app', containerDefinitions: [{ name: 'main', image: 'x' }] }),
        '--lifecycle',
        '{"runningMs":null}',
        '--random-seed',
        '7',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const started = JSON.parse(line) as { endpoint: string; port: number; pid: number };
    expect(started.endpoint).to.equal(`http://127.0.0.1:${started.port}`);
    expect(started.pid).to.equal(child.pid);

    const ecs = new ECSClient({
      endpoint: started.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    try {
      const input = { cluster: 'cli', taskDefinition: 'app', startedBy: 'r1', clientToken: 'r1' };
      await ecs.send(new RunTaskCommand(input));
      await ecs.send(new RunTaskCommand(input));
    } finally {
      ecs.destroy();
    }
    const ledger = (await (await fetch(`${started.endpoint}/_sim/ledger?entries=0`)).json()) as {
      report: { accepted: number; replays: number; duplicates: number };
    };
    expect(ledger.report).to.include({ accepted: 1, replays: 1, duplicates: 0 });
    const put = await fetch(`${started.endpoint}/_sim/faults`, {
      method: 'PUT',
      body: JSON.stringify({ blackHoleRate: 0.5, operations: ['ListTasks'] }),
    });
    expect(await put.json()).to.include({ blackHoleRate: 0.5 });

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).to.equal(0);
  });

  const invalid: { name: string; args: string[]; message: RegExp }[] = [
    { name: 'faults that are not JSON', args: ['--faults', '{oops'], message: /--faults: not JSON/ },
    {
      name: 'an unknown fault',
      args: ['--faults', '{"lossRate":1}'],
      message: /faults\.lossRate: unknown field/,
    },
    {
      name: 'an unknown quota word',
      args: ['--quotas', 'lots'],
      message: /--quotas: must be aws, off or a JSON object/,
    },
    { name: 'a negative port', args: ['--port=-1'], message: /--port: must be a number >= 0/ },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name} with exit code 2 and the usage`, async () => {
      const run = await captureRun(NODE, [...MAIN, ...c.args]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(c.message);
      expect(run.stderr).to.include('Usage: node --import tsx test/support/ecs-simulator/main.ts');
    });
  }
});
