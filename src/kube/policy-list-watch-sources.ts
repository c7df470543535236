// What the policy gate follows besides EcsScheduledTasks: every Namespace (for the labels a
// policy's namespaceSelector reads) and every EcsSchedulerPolicy, through the same list-watch.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, POLICY_PLURAL, VERSION } from '../api/constants.js';
import { httpStatusOf } from './api-errors.js';
import { ObjectListWatchSource, type RawList } from './list-watch-source.js';

/** Every Namespace, for their labels (what a policy's namespaceSelector reads). */
export function namespacesSource(kubeConfig: KubeConfig): ObjectListWatchSource {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return new ObjectListWatchSource(kubeConfig, {
    path: '/api/v1/namespaces',
    listPage: (page) => core.listNamespace(page) as Promise<RawList>,
  });
}

/** Every EcsSchedulerPolicy (cluster-scoped). */
export function policiesSource(kubeConfig: KubeConfig): ObjectListWatchSource {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return new ObjectListWatchSource(kubeConfig, {
    path: `/apis/${GROUP}/${VERSION}/${POLICY_PLURAL}`,
    listPage: async (page) => {
      try {
        return (await api.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: POLICY_PLURAL,
          ...page,
        })) as RawList;
      } catch (err) {
        // The usual cause: a controller upgraded without its CRDs. Say so in every retry's log line.
        if (httpStatusOf(err) === 404)
          throw new Error(
            `the ${POLICY_PLURAL}.${GROUP} CRD is not installed: apply crds/ecsschedulerpolicies.yaml ` +
              '(or run with --policy off on a single-tenant cluster)',
            { cause: err },
          );
        throw err;
      }
    },
  });
}
