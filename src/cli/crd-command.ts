import { crdYaml } from '../api/crd-yaml.js';
import type { Command } from './cli-io.js';

/** `crd`: prints the CustomResourceDefinition, e.g. `ecs-scheduler crd | kubectl apply -f -`. */
export const crdCommand: Command = async (_args, io) => {
  io.stdout(crdYaml());
  return 0;
};
