// Standalone mode: resources are the manifests of a folder, their state a file beside them whose
// lock fences the launches, and the policies (when enforced) a folder of their own.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Clock } from '../controller/clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../log/logger.js';
import { PolicyIndex } from '../policy/policy-index.js';
import { FileEventRecorder } from '../standalone/file-event-recorder.js';
import { ManifestStore } from '../standalone/manifest-store.js';
import { PolicyFolder } from '../standalone/policy-folder.js';
import { StateFile } from '../standalone/state-file.js';
import { StateLock } from '../standalone/state-lock.js';
import type { ResourceSource } from './resource-source.js';

export function standaloneSource(config: Config, logger: Logger, clock: Clock): ResourceSource {
  const manifestsDir = config.manifestsDir ?? '.';
  // Policies come from their own folder, which tenants cannot write; each read replaces them all.
  const policies =
    config.policy === 'enforce'
      ? new PolicyIndex({ defaultCluster: config.defaultCluster, region: config.awsRegion, logger })
      : undefined;
  const policyFolder =
    policies && config.policiesDir !== undefined
      ? new PolicyFolder({ dir: config.policiesDir, sink: policies, logger, clock })
      : undefined;
  if (policies && config.policiesDir === undefined) {
    logger.warn(
      'no --policies folder: no EcsSchedulerPolicy applies, so every EcsScheduledTask is denied. Pass ' +
        '--policies DIR (a folder the tenants cannot write; policies in --manifests are not honoured), ' +
        'or --policy off for a single tenant',
      { manifests: manifestsDir },
    );
  }
  if (config.policiesDir !== undefined && isInside(manifestsDir, config.policiesDir)) {
    logger.warn(
      '--policies is inside --manifests: it is not read as manifests, but whoever may write the manifests ' +
        'folder can replace it. Keep it apart outside a single-user setup.',
      { manifests: manifestsDir, policies: config.policiesDir },
    );
  }
  const lock = new StateLock({
    statePath: config.stateFile,
    host: config.host,
    clock,
    logger,
    leaseDurationMs: config.leaseDurationSeconds * 1000,
    renewPeriodMs: Math.min(config.retryPeriodSeconds, config.leaseDurationSeconds / 3) * 1000,
  });
  const store = new ManifestStore({
    dir: manifestsDir,
    stateFile: new StateFile({ path: config.stateFile, logger }),
    logger,
    clock,
    lock,
    ...(config.policiesDir === undefined ? {} : { skip: [config.policiesDir] }),
  });
  return {
    store,
    events: new FileEventRecorder(logger),
    ...(policies === undefined ? {} : { policy: policies }),
    fence: lock,
    subscribe: (listener) => void store.onChange(listener),
    keys: () => store.keys(),
    hasSynced: () => store.hasSynced(),
    start: async () => {
      // Judging resources before the policies are in would deny them all, once, for nothing.
      await policyFolder?.start();
      await store.start();
    },
    stop: async () => {
      await store.stop();
      await policyFolder?.stop();
    },
  };
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
