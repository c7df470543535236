import { readFileSync } from 'node:fs';
import { writeAllSync } from '../log/line-buffer.js';
import type { CliIo, Command } from './cli-io.js';

const USAGE = `Usage: ecs-scheduler <command> [flags]
       kubectl ecs-scheduler <command> [flags]   (the same program, as a kubectl plugin)

Controller:
  run        run the controller (Kubernetes, or standalone with --manifests DIR)
  status     print the run history kept by standalone mode

Cluster (uses the current kubeconfig context, like kubectl):
  trigger    run a scheduled task now
  runs       print a task's recent runs, with exit codes and console links
  logs       print the CloudWatch logs of a run
  suspend    stop scheduling new runs
  resume     schedule runs again
  backfill   run a task's schedule times in a past range (creates an EcsTaskBackfill)

Offline:
  next       print the next fire times of a schedule or of the resources in a manifest
  validate   check manifests offline against the CRD schema and the schedule parser
  crd        print the CustomResourceDefinitions (EcsScheduledTask, EcsSchedulerPolicy, EcsTaskBackfill)
  import     convert jobs of the old ECS Scheduler service into EcsScheduledTask YAML

Flags:
  -h, --help     print this help
      --version  print the version

Run \`ecs-scheduler <command> --help\` for the flags of a command.
`;

// Commands load lazily so that `next` and `validate` do not pay for the Kubernetes and AWS clients.
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run-command.js')).runCommand,
  next: async () => (await import('./next-command.js')).nextCommand,
  validate: async () => (await import('./validate-command.js')).validateCommand,
  crd: async () => (await import('./crd-command.js')).crdCommand,
  import: async () => (await import('./import-command.js')).importCommand,
  status: async () => (await import('./status-command.js')).statusCommand,
  trigger: async () => (await import('./trigger-command.js')).triggerCommand,
  runs: async () => (await import('./runs-command.js')).runsCommand,
  logs: async () => (await import('./logs-command.js')).logsCommand,
  suspend: async () => (await import('./suspend-command.js')).suspendCommand,
  resume: async () => (await import('./suspend-command.js')).resumeCommand,
  backfill: async () => (await import('./backfill-command.js')).backfillCommand,
};

/** package.json sits two levels above both src/cli/ and dist/cli/. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrAtExit: (text) => writeAllSync(2, text),
    // eslint-disable-next-line no-restricted-properties -- handed to commands as data, read in config.ts
    env: process.env,
    now: () => new Date(),
  };
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    io.stdout(`ecs-scheduler ${version()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`ecs-scheduler: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return (await load())(rest, io);
}
