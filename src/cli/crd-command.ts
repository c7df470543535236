import { backfillCrdYaml, calendarCrdYaml, crdYaml, policyCrdYaml } from '../api/crd-yaml.js';
import type { Command } from './cli-io.js';

const USAGE = `Usage: ecs-scheduler crd [flags]

Prints the CustomResourceDefinitions (EcsScheduledTask, EcsSchedulerPolicy, EcsTaskBackfill and
EcsScheduleCalendar) as multi-document YAML, to install or upgrade them:

  ecs-scheduler crd | kubectl apply --server-side -f -

Flags:
  -h, --help    print this help
`;

/** `crd`: prints the CustomResourceDefinitions. */
export const crdCommand: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(USAGE);
    return 0;
  }
  if (args.length > 0) {
    io.stderr(`crd: unexpected argument "${args[0]}"\n\n${USAGE}`);
    return 2;
  }
  io.stdout(`${crdYaml()}---\n${policyCrdYaml()}---\n${backfillCrdYaml()}---\n${calendarCrdYaml()}`);
  return 0;
};
