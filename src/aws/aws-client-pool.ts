// SDK clients per identity: the controller's own (no identity) or an admin policy's assumed role.
// ECS clients are kept for the life of the process, one per identity, so their keep-alive
// connections and credentials are reused; that set is bounded by the policies an admin writes.
//
// SQS clients are also per region, and a region is something a tenant writes (a trigger's or a
// dead letter's region, or the region in a queue URL): kept forever, 2,028 invented regions held
// 41 MiB of clients. So a region must be an AWS region (awsRegionProblem, a TerminalError
// otherwise), and the SQS clients are a small LRU: the least recently used is evicted past the
// cap and destroyed once no call of it is in flight. An eviction costs the next call in that
// region one new TLS connection; assumed-role credentials are cached apart, so no STS call.
import { TerminalError } from '../controller/errors.js';
import type { AwsIdentity } from '../controller/ports.js';
import type { AwsApi } from './aws-call.js';
import type { AssumedRoleCredentials, CredentialsProvider } from './assumed-role-credentials.js';
import { awsRegionProblem } from './aws-region.js';

/**
 * SQS clients kept at once. Honest use needs one per (identity, region) in use: a few regions,
 * times the identities that read queues there.
 */
export const DEFAULT_MAX_SQS_CLIENTS = 32;

export interface AwsClientPoolOptions {
  /** Builds an ECS client; `credentials` undefined means the SDK's default chain. */
  readonly createEcsClient: (credentials: CredentialsProvider | undefined) => AwsApi;
  /** Builds an SQS client for a region (undefined: the default region). */
  readonly createSqsClient: (
    credentials: CredentialsProvider | undefined,
    region: string | undefined,
  ) => AwsApi;
  readonly credentials: AssumedRoleCredentials;
  /** SQS clients kept at once (LRU). Default DEFAULT_MAX_SQS_CLIENTS. */
  readonly maxSqsClients?: number;
  /**
   * The controller's own region (--region): an admin's choice, allowed whatever it looks like
   * (a LocalStack or moto setup may name its own).
   */
  readonly defaultRegion?: string;
}

function identityKey(identity: AwsIdentity | undefined): string {
  return identity === undefined
    ? ''
    : JSON.stringify([identity.roleArn, identity.externalId ?? null, identity.namespace ?? null]);
}

/** A pooled SQS client: what callers get (`api`), and what eviction needs to know. */
interface SqsEntry {
  readonly client: AwsApi;
  readonly api: AwsApi;
  inFlight: number;
  evicted: boolean;
}

export class AwsClientPool {
  private readonly ecs = new Map<string, AwsApi>();
  /** In least-recently-used-first order: a use moves an entry to the end. */
  private readonly sqs = new Map<string, SqsEntry>();
  /** Evicted while a call was in flight: destroyed when the last one settles (or at close). */
  private readonly retiring = new Set<SqsEntry>();
  private readonly options: AwsClientPoolOptions;
  private readonly maxSqsClients: number;

  constructor(options: AwsClientPoolOptions) {
    this.options = options;
    this.maxSqsClients = options.maxSqsClients ?? DEFAULT_MAX_SQS_CLIENTS;
    if (!Number.isInteger(this.maxSqsClients) || this.maxSqsClients < 1)
      throw new RangeError(`maxSqsClients must be a positive integer, not ${this.maxSqsClients}`);
  }

  /** The ECS client acting as `identity`, or as the controller when undefined. */
  readonly ecsClientFor = (identity?: AwsIdentity): AwsApi => {
    const key = identityKey(identity);
    let client = this.ecs.get(key);
    if (client === undefined) {
      client = this.options.createEcsClient(this.provider(identity));
      this.ecs.set(key, client);
    }
    return client;
  };

  /**
   * The SQS client acting as `identity` in `region`. Throws a TerminalError (RegionRefused) for a
   * region that is no AWS region; callers check first to name the spec field.
   */
  readonly sqsClientFor = (identity: AwsIdentity | undefined, region?: string): AwsApi => {
    if (region !== undefined && region !== this.options.defaultRegion) {
      const problem = awsRegionProblem(region);
      if (problem !== undefined) throw new TerminalError(`SQS region ${problem}`, 'RegionRefused');
    }
    const key = JSON.stringify([identityKey(identity), region ?? null]);
    let entry = this.sqs.get(key);
    if (entry !== undefined) {
      this.sqs.delete(key);
    } else {
      entry = this.sqsEntry(identity, region);
    }
    this.sqs.set(key, entry);
    while (this.sqs.size > this.maxSqsClients) {
      const [oldestKey, oldest] = this.sqs.entries().next().value!;
      this.sqs.delete(oldestKey);
      this.retire(oldest);
    }
    return entry.api;
  };

  /** SQS clients held now: the pooled ones and the evicted ones still finishing a call. */
  sqsClientCount(): number {
    return this.sqs.size + this.retiring.size;
  }

  close(): void {
    for (const client of this.ecs.values()) client.destroy?.();
    for (const entry of [...this.sqs.values(), ...this.retiring]) entry.client.destroy?.();
    this.ecs.clear();
    this.sqs.clear();
    this.retiring.clear();
  }

  private sqsEntry(identity: AwsIdentity | undefined, region: string | undefined): SqsEntry {
    const client = this.options.createSqsClient(this.provider(identity), region);
    const entry: SqsEntry = {
      client,
      inFlight: 0,
      evicted: false,
      api: {
        send: async (command, options) => {
          // A caller may hold the client across calls (resolve a URL, then read the queue) while
          // other calls evict it: its next call goes to the pool's current client instead.
          if (entry.evicted) return this.sqsClientFor(identity, region).send(command, options);
          // Counted, so that eviction never destroys the sockets under a call in flight.
          entry.inFlight++;
          try {
            return await client.send(command, options);
          } finally {
            entry.inFlight--;
            if (entry.evicted && entry.inFlight === 0 && this.retiring.delete(entry)) client.destroy?.();
          }
        },
      },
    };
    return entry;
  }

  private retire(entry: SqsEntry): void {
    entry.evicted = true;
    if (entry.inFlight === 0) entry.client.destroy?.();
    else this.retiring.add(entry);
  }

  private provider(identity: AwsIdentity | undefined): CredentialsProvider | undefined {
    return identity === undefined ? undefined : this.options.credentials.providerFor(identity);
  }
}
