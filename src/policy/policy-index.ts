// The PolicyGate both modes share: the policies and namespace labels a source last reported, and
// the pure evaluator over them. Sources (the Kubernetes informers, the standalone manifest folder)
// push changes in. A policy change tells the controller to look at every resource again; a
// namespace change only at the resources in that namespace, and only when it came, went, or its
// new labels are selected by other policies than before. So a denied resource recovers without a
// restart, and relabelling one namespace does not reconcile the whole cluster.
import type { EcsSchedulerPolicyResource } from '../api/policy-types.js';
import { validatePolicy } from '../api/policy-validation.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { TransientError } from '../controller/errors.js';
import type { PolicyChange, PolicyDecision, PolicyGate } from '../controller/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { evaluatePolicies, NAMESPACE_NAME_LABEL, selectingPolicies } from './policy-evaluator.js';

export interface PolicyIndexOptions {
  /** --default-cluster: the cluster of a resource that names none. */
  readonly defaultCluster: string;
  /** The controller's region, for SQS queue URLs that do not name one. */
  readonly region?: string;
  readonly logger?: Logger;
  /**
   * Every namespace is reported (the Kubernetes gate watches them all), so one not seen yet is one
   * the watch has not delivered yet: its resources wait for it (a TransientError from evaluate)
   * rather than being judged by their namespace's name alone. Default false: standalone mode
   * knows only the namespaces with a manifest, and judges the others by their name label.
   */
  readonly namespacesWatched?: boolean;
}

type Listener = (change: PolicyChange) => void;

/** Why a verdict waits: the reason of the TransientError evaluate throws. */
export const NAMESPACE_NOT_SEEN = 'NamespaceNotSeen';

export class PolicyIndex implements PolicyGate {
  private readonly policies = new Map<string, { policy: EcsSchedulerPolicyResource; fingerprint: string }>();
  private readonly namespaces = new Map<string, { labels: Record<string, string>; fingerprint: string }>();
  private readonly listeners = new Set<Listener>();
  /** Spec fingerprints of the invalid policies already reported. */
  private readonly invalid = new Map<string, string>();
  private readonly options: PolicyIndexOptions;
  private readonly log: Logger;
  /** What changed since the last notification; undefined when nothing did. */
  private pending: 'all' | Set<string> | undefined;
  /** The policies as a list for the evaluator; rebuilt after a change. */
  private snapshot: EcsSchedulerPolicyResource[] | undefined;
  /**
   * selectingPolicies() per namespace; emptied on a policy change, a namespace's entry on its own
   * change. At most one entry per namespace.
   */
  private readonly selecting = new Map<string, EcsSchedulerPolicyResource[]>();

  constructor(options: PolicyIndexOptions) {
    this.options = options;
    this.log = (options.logger ?? silentLogger).child({ component: 'policy' });
  }

  evaluate(resource: EcsScheduledTaskResource): PolicyDecision {
    const namespace = resource.metadata.namespace ?? 'default';
    const labels = this.namespaces.get(namespace)?.labels;
    if (labels === undefined && this.options.namespacesWatched === true) {
      // A namespaceSelector on any other label would be judged wrong; its add event requeues it.
      throw new TransientError(
        `namespace ${namespace} is not in the namespace cache yet: the policy verdict waits for its labels`,
        NAMESPACE_NOT_SEEN,
      );
    }
    this.snapshot ??= [...this.policies.values()].map((p) => p.policy);
    const context = {
      policies: this.snapshot,
      namespaceLabels: labels,
      defaultCluster: this.options.defaultCluster,
      region: this.options.region,
    };
    // Which policies select a namespace changes only with a policy or the namespace's labels, so
    // with one policy per team a verdict costs one policy's checks, not a pass over all of them.
    let selecting = this.selecting.get(namespace);
    if (selecting === undefined) {
      selecting = selectingPolicies(context.policies, namespace, context.namespaceLabels);
      this.selecting.set(namespace, selecting);
    }
    return evaluatePolicies(resource, context, selecting);
  }

  onChange(listener: Listener): void {
    this.listeners.add(listener);
  }

  /** Names of the policies in force. */
  policyNames(): string[] {
    return [...this.policies.keys()].sort();
  }

  /**
   * Adds or replaces one policy. An invalid one (written before a CRD upgrade, or a bad file in
   * standalone mode) is dropped with a warning: a policy that cannot be read allows nothing.
   */
  upsertPolicy(policy: EcsSchedulerPolicyResource): void {
    const name = policy.metadata.name ?? '';
    const fingerprint = JSON.stringify(policy.spec);
    const issues = validatePolicy(policy);
    if (issues.length > 0) {
      // Once per version, not on every resync.
      if (this.invalid.get(name) !== fingerprint) {
        this.invalid.set(name, fingerprint);
        this.log.warn('ignoring an invalid EcsSchedulerPolicy: it allows nothing until fixed', {
          policy: name,
          issues: issues.map((i) => `${i.path}: ${i.message}`),
        });
      }
      this.drop(name);
      return;
    }
    this.invalid.delete(name);
    if (this.policies.get(name)?.fingerprint === fingerprint) return;
    this.policies.set(name, { policy: structuredClone(policy), fingerprint });
    this.log.info('policy changed', { policy: name });
    this.changed();
  }

  removePolicy(name: string): void {
    this.invalid.delete(name);
    this.drop(name);
  }

  private drop(name: string): void {
    if (!this.policies.delete(name)) return;
    this.log.info('policy removed', { policy: name });
    this.changed();
  }

  /** Replaces every policy at once (a relist, or a re-read manifest folder). */
  replacePolicies(policies: readonly EcsSchedulerPolicyResource[]): void {
    const names = new Set(policies.map((p) => p.metadata.name ?? ''));
    for (const name of [...this.policies.keys()]) if (!names.has(name)) this.removePolicy(name);
    for (const policy of policies) this.upsertPolicy(policy);
  }

  /** A namespace's labels, or undefined when it is gone. */
  setNamespace(name: string, labels: Readonly<Record<string, string>> | undefined): void {
    const before = this.namespaces.get(name);
    if (labels === undefined) {
      if (this.namespaces.delete(name)) this.namespaceChanged(name);
      return;
    }
    // The API server always sets this label; a namespace seen without it still has its name.
    const full = { [NAMESPACE_NAME_LABEL]: name, ...labels };
    const fingerprint = JSON.stringify(Object.entries(full).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (before?.fingerprint === fingerprint) return;
    this.namespaces.set(name, { labels: full, fingerprint });
    // A namespace seen for the first time always counts: its resources waited for it, or (in
    // standalone mode) were judged by its name label alone. A relabelled one counts only when
    // other policies select it now: verdicts depend on its labels through that set alone.
    if (before !== undefined) {
      this.snapshot ??= [...this.policies.values()].map((p) => p.policy);
      const names = (l: Readonly<Record<string, string>>) =>
        selectingPolicies(this.snapshot!, name, l)
          .map((p) => p.metadata.name ?? '')
          .join('\u0000');
      if (names(before.labels) === names(full)) {
        this.selecting.delete(name);
        return;
      }
    }
    this.namespaceChanged(name);
  }

  private namespaceChanged(name: string): void {
    this.selecting.delete(name);
    if (this.pending === 'all') return;
    const first = this.pending === undefined;
    this.pending ??= new Set();
    this.pending.add(name);
    if (first) this.notifySoon();
  }

  private changed(): void {
    this.snapshot = undefined;
    this.selecting.clear();
    const first = this.pending === undefined;
    this.pending = 'all';
    if (first) this.notifySoon();
  }

  /** Coalesces the changes of one tick (a relist delivers many) into one notification. */
  private notifySoon(): void {
    queueMicrotask(() => {
      const pending = this.pending;
      this.pending = undefined;
      if (pending === undefined) return;
      const change: PolicyChange = pending === 'all' ? 'all' : { namespaces: [...pending].sort() };
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (err) {
          this.log.error('policy change listener failed', { err });
        }
      }
    });
  }
}
