// Merge patches of an EcsScheduledTask's labels, and nothing else: the only write sharding makes on
// resources (RBAC: `patch` on ecsscheduledtasks). Errors come out as ours: ConflictError when the
// resourceVersion precondition failed, NotFound folded into `false`, TransientError otherwise.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/constants.js';
import { ConflictError, TransientError } from '../controller/errors.js';
import { describeError, httpStatusOf } from './api-errors.js';

export interface LabelPatch {
  readonly namespace: string;
  readonly name: string;
  /** A value sets the label; null removes it. */
  readonly labels: Readonly<Record<string, string | null>>;
  /** When given, the patch applies only to this version (the labels we decided on). */
  readonly resourceVersion?: string;
}

export interface LabelPatchClient {
  /** False when the resource no longer exists. */
  patchLabels(patch: LabelPatch): Promise<boolean>;
}

export class KubeLabelPatchClient implements LabelPatchClient {
  private readonly api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async patchLabels(patch: LabelPatch): Promise<boolean> {
    const metadata = {
      labels: patch.labels,
      ...(patch.resourceVersion === undefined ? {} : { resourceVersion: patch.resourceVersion }),
    };
    try {
      await this.api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: patch.namespace,
          name: patch.name,
          body: { metadata },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return true;
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 404) return false;
      const what = `patching the labels of ${patch.namespace}/${patch.name}`;
      if (status === 409) throw new ConflictError(`${what}: ${describeError(err)}`);
      throw new TransientError(`${what}: ${describeError(err)}`, 'LabelPatchFailed', { cause: err });
    }
  }
}
