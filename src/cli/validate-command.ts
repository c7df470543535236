import { validateResource } from '../api/validation.js';
import type { Command } from './cli-io.js';
import { isEcsScheduledTask, readManifests } from './manifest-documents.js';

/** `validate FILE|DIR...`: offline checks for GitOps pipelines; one `file:document: field: problem` per error. */
export const validateCommand: Command = async (args, io) => {
  if (args.length === 0 || args.includes('--help')) {
    io.stderr('Usage: ecs-scheduler validate FILE|DIR...\n');
    return 2;
  }
  let documents;
  try {
    documents = await readManifests(args);
  } catch (error) {
    io.stderr(`validate: ${(error as Error).message}\n`);
    return 2;
  }
  let errors = 0;
  let checked = 0;
  for (const doc of documents) {
    const where = `${doc.file}:${doc.index}`;
    if (doc.syntaxError) {
      io.stderr(`${where}: (yaml): ${doc.syntaxError}\n`);
      errors++;
      continue;
    }
    if (!isEcsScheduledTask(doc.value)) continue;
    checked++;
    for (const issue of validateResource(doc.value)) {
      io.stderr(`${where}: ${issue.path}: ${issue.message}\n`);
      errors++;
    }
  }
  io.stderr(`${checked} EcsScheduledTask document(s) checked, ${errors} error(s)\n`);
  return errors > 0 ? 1 : 0;
};
