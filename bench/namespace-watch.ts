// One watch of a namespace's EcsScheduledTasks for the bench's observers (the cold start, the run
// records): a watch the API server ends starts again, and its initial events repeat what was
// seen, which each observer absorbs.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../src/api/types.js';

export interface NamespaceWatch {
  stop(): void;
}

export async function watchNamespace(
  kc: KubeConfig,
  namespace: string,
  /** `stop` ends the watch from inside, even before this function has returned. */
  onObject: (object: EcsScheduledTaskResource, stop: () => void) => void,
): Promise<NamespaceWatch> {
  let request: AbortController | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    request?.abort();
  };
  const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
  const start = async (): Promise<void> => {
    if (stopped) return;
    request = await new Watch(kc).watch(
      path,
      {},
      (_type: string, object: EcsScheduledTaskResource) => onObject(object, stop),
      () => void start().catch(() => undefined),
    );
  };
  await start();
  return { stop };
}
