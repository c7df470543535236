import { crdYaml, policyCrdYaml } from '../api/crd-yaml.js';
import type { Command } from './cli-io.js';

/** `crd`: prints both CustomResourceDefinitions, e.g. `ecs-scheduler crd | kubectl apply -f -`. */
export const crdCommand: Command = async (_args, io) => {
  io.stdout(`${crdYaml()}---\n${policyCrdYaml()}`);
  return 0;
};
