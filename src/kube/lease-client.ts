// The Lease I/O that leader election needs, behind a port so the elector is unit-tested with a
// fake. Errors come out as ours: ConflictError for a lost optimistic-concurrency race (409, also
// AlreadyExists on create), TransientError for everything else.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { ConflictError, TransientError } from '../controller/errors.js';
import { describeError, httpStatusOf } from './api-errors.js';
import type { LeaseRecord } from './lease-decisions.js';

export interface StoredLease {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
}

export interface LeaseClient {
  /** undefined when the Lease does not exist. */
  get(namespace: string, name: string): Promise<StoredLease | undefined>;
  create(namespace: string, name: string, record: LeaseRecord): Promise<StoredLease>;
  /** Replaces the spec, guarded by `resourceVersion`. */
  update(namespace: string, name: string, record: LeaseRecord, resourceVersion: string): Promise<StoredLease>;
}

/** What the sharder needs to clear Leases of shards that left the ring for good. */
export interface LeaseRemover {
  /** Deletes the Lease if it is still at `resourceVersion`; one already deleted is no error. */
  delete(namespace: string, name: string, resourceVersion: string): Promise<void>;
}

function timeString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** A Lease as read from the API server (or a watch event), in our terms. */
export function storedLeaseOf(lease: V1Lease): StoredLease {
  const spec = lease.spec ?? {};
  return {
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds,
      acquireTime: timeString(spec.acquireTime),
      renewTime: timeString(spec.renewTime),
      leaseTransitions: spec.leaseTransitions,
    },
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  };
}

function toSpec(record: LeaseRecord): NonNullable<V1Lease['spec']> {
  // MicroTime must serialize with microseconds; client-node's V1MicroTime does that.
  const micro = (value: string | undefined) => (value === undefined ? undefined : new V1MicroTime(value));
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: micro(record.acquireTime),
    renewTime: micro(record.renewTime),
    leaseTransitions: record.leaseTransitions,
  };
}

function mapError(err: unknown, what: string): Error {
  if (httpStatusOf(err) === 409) return new ConflictError(`${what}: ${describeError(err)}`);
  return new TransientError(`${what}: ${describeError(err)}`, 'LeaseRequestFailed', { cause: err });
}

export interface KubeLeaseClientOptions {
  /**
   * Labels every Lease this client writes carries (a shard's Lease is found by its ring label).
   * An update replaces the whole object, so they are written on every update too.
   */
  readonly labels?: Readonly<Record<string, string>>;
}

export class KubeLeaseClient implements LeaseClient, LeaseRemover {
  private readonly api: CoordinationV1Api;
  private readonly labels: Readonly<Record<string, string>> | undefined;

  constructor(kubeConfig: KubeConfig, options: KubeLeaseClientOptions = {}) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.labels = options.labels;
  }

  async get(namespace: string, name: string): Promise<StoredLease | undefined> {
    try {
      return storedLeaseOf(await this.api.readNamespacedLease({ namespace, name }));
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw mapError(err, `reading lease ${namespace}/${name}`);
    }
  }

  async create(namespace: string, name: string, record: LeaseRecord): Promise<StoredLease> {
    try {
      const body: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace, ...(this.labels ? { labels: { ...this.labels } } : {}) },
        spec: toSpec(record),
      };
      return storedLeaseOf(await this.api.createNamespacedLease({ namespace, body }));
    } catch (err) {
      throw mapError(err, `creating lease ${namespace}/${name}`);
    }
  }

  async update(
    namespace: string,
    name: string,
    record: LeaseRecord,
    resourceVersion: string,
  ): Promise<StoredLease> {
    try {
      const body: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace,
          resourceVersion,
          ...(this.labels ? { labels: { ...this.labels } } : {}),
        },
        spec: toSpec(record),
      };
      return storedLeaseOf(await this.api.replaceNamespacedLease({ namespace, name, body }));
    } catch (err) {
      throw mapError(err, `updating lease ${namespace}/${name}`);
    }
  }

  async delete(namespace: string, name: string, resourceVersion: string): Promise<void> {
    try {
      await this.api.deleteNamespacedLease({ namespace, name, body: { preconditions: { resourceVersion } } });
    } catch (err) {
      if (httpStatusOf(err) === 404) return;
      throw mapError(err, `deleting lease ${namespace}/${name}`);
    }
  }
}
