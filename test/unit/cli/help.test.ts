// Every command answers --help the same way: its usage on stdout, nothing on stderr, exit 0, and
// every flag it accepts named in the text.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { ClusterVerb } from '../../../src/cli/cluster-command.js';
import { logsVerb } from '../../../src/cli/logs-command.js';
import { main } from '../../../src/cli/main.js';
import { runsVerb } from '../../../src/cli/runs-command.js';
import { suspendVerbs } from '../../../src/cli/suspend-command.js';
import { triggerVerb } from '../../../src/cli/trigger-command.js';
import { recordingIo } from '../../support/recording-io.js';

const now = new Date('2026-03-01T12:00:00Z');
const COMMANDS = [
  'run',
  'status',
  'trigger',
  'runs',
  'logs',
  'suspend',
  'resume',
  'next',
  'validate',
  'crd',
  'import',
];

describe('ecs-scheduler --help and --version', () => {
  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`${command} ${flag} prints its usage on stdout and exits 0`, async () => {
        const io = recordingIo(now);
        expect(await main([command, flag], io)).to.equal(0);
        expect(io.out).to.match(new RegExp(`^Usage: ecs-scheduler ${command}\\b`));
        expect(io.out).to.match(/\n\s+(-h, )?--help\b/);
        expect(io.err).to.equal('');
      });
    }
  }

  it('the top-level usage lists every command', async () => {
    const io = recordingIo(now);
    expect(await main(['--help'], io)).to.equal(0);
    for (const command of COMMANDS) expect(io.out).to.match(new RegExp(`\\n  ${command} +\\S`));
  });

  it('crd --help does not print the CRD', async () => {
    const io = recordingIo(now);
    await main(['crd', '--help'], io);
    expect(io.out).to.not.contain('CustomResourceDefinition\n');
    expect(io.out).to.not.contain('apiVersion:');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const io = recordingIo(now);
    expect(await main(['--version'], io)).to.equal(0);
    expect(io.out).to.equal(`ecs-scheduler ${version}\n`);
  });

  const verbs: ClusterVerb[] = [
    triggerVerb,
    runsVerb,
    suspendVerbs.suspend,
    suspendVerbs.resume,
    logsVerb({ connect: () => ({}) as never, aws: () => ({}) as never, sleep: async () => {} }),
  ];
  for (const verb of verbs) {
    it(`${verb.name} documents each of its flags`, () => {
      for (const [name, option] of Object.entries({
        namespace: { short: 'n' },
        kubeconfig: {},
        context: {},
        ...verb.options,
      })) {
        expect(verb.usage).to.contain(`--${name}`);
        const short = (option as { short?: string }).short;
        if (short) expect(verb.usage).to.contain(`-${short}, --${name}`);
      }
    });
  }
});
