// The Kubernetes side of tenancy: EcsSchedulerPolicies and Namespaces (for their labels), each
// through a ResourceInformer with its recovery, feeding a PolicyIndex that the reconciler asks
// before any AWS call.
import type { KubeConfig } from '@kubernetes/client-node';
import type { EcsSchedulerPolicyResource } from '../api/policy-types.js';
import type { Clock } from '../controller/clock.js';
import type { Logger } from '../log/logger.js';
import { PolicyIndex } from '../policy/policy-index.js';
import type { ListWatchSource } from './list-watch-source.js';
import { namespacesSource, policiesSource } from './policy-list-watch-sources.js';
import { ResourceInformer } from './resource-informer.js';

export interface KubePolicyGateOptions {
  readonly defaultCluster: string;
  readonly region?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Sources other than the API server's (tests). Default: the API server of the kubeconfig. */
  readonly sources?: { readonly policies: ListWatchSource; readonly namespaces: ListWatchSource };
}

interface NamedObject {
  metadata?: { name?: string; labels?: Record<string, string> };
}

export class KubePolicyGate {
  /** The PolicyGate to hand to the reconciler. */
  readonly gate: PolicyIndex;
  private readonly policies: ResourceInformer;
  private readonly namespaces: ResourceInformer;

  constructor(kubeConfig: KubeConfig | undefined, options: KubePolicyGateOptions) {
    const sources = options.sources ?? {
      policies: policiesSource(required(kubeConfig)),
      namespaces: namespacesSource(required(kubeConfig)),
    };
    this.gate = new PolicyIndex({
      defaultCluster: options.defaultCluster,
      region: options.region,
      logger: options.logger,
      // The informer sees every namespace: one missing is one its watch has not delivered yet.
      namespacesWatched: true,
    });
    const informer = (source: ListWatchSource, kind: string) =>
      new ResourceInformer({
        source,
        clock: options.clock,
        // No watch metrics: those series are the EcsScheduledTask watch's, and have no kind label.
        logger: options.logger?.child({ watch: kind }),
      });
    this.policies = informer(sources.policies, 'ecsschedulerpolicies');
    this.namespaces = informer(sources.namespaces, 'namespaces');
    // The informers key cluster-scoped objects as `default/<name>` (keyOf); the name is what counts.
    this.policies.subscribe((key) => {
      const name = nameOf(key);
      const policy = this.policies.get(key) as unknown as EcsSchedulerPolicyResource | undefined;
      if (policy === undefined) this.gate.removePolicy(name);
      else this.gate.upsertPolicy(policy);
    });
    this.namespaces.subscribe((key) => {
      const namespace = this.namespaces.get(key) as unknown as NamedObject | undefined;
      this.gate.setNamespace(
        nameOf(key),
        namespace === undefined ? undefined : (namespace.metadata?.labels ?? {}),
      );
    });
  }

  start(): void {
    this.policies.start();
    this.namespaces.start();
  }

  /** Resolves once both lists are in: before that, every verdict would be a false denial. */
  async waitForSync(): Promise<void> {
    await Promise.all([this.policies.waitForSync(), this.namespaces.waitForSync()]);
  }

  hasSynced(): boolean {
    return this.policies.hasSynced() && this.namespaces.hasSynced();
  }

  stop(): void {
    this.policies.stop();
    this.namespaces.stop();
  }
}

function nameOf(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

function required(kubeConfig: KubeConfig | undefined): KubeConfig {
  if (kubeConfig === undefined) throw new Error('KubePolicyGate needs a kubeconfig or sources');
  return kubeConfig;
}
