// SDK clients per identity: the controller's own (no identity) or an admin policy's assumed role.
// One client per identity (and region, for SQS) is kept for the life of the process, so its
// keep-alive connections and its credentials cache are reused; the set is bounded by the policies
// an admin writes, not by anything a tenant writes.
import type { AwsIdentity } from '../controller/ports.js';
import type { AwsApi } from '../ecs/ports.js';
import type { AssumedRoleCredentials, CredentialsProvider } from './assumed-role-credentials.js';

export interface AwsClientPoolOptions {
  /** Builds an ECS client; `credentials` undefined means the SDK's default chain. */
  readonly createEcsClient: (credentials: CredentialsProvider | undefined) => AwsApi;
  /** Builds an SQS client for a region (undefined: the default region). */
  readonly createSqsClient: (
    credentials: CredentialsProvider | undefined,
    region: string | undefined,
  ) => AwsApi;
  readonly credentials: AssumedRoleCredentials;
}

function identityKey(identity: AwsIdentity | undefined): string {
  return identity === undefined ? '' : JSON.stringify([identity.roleArn, identity.externalId ?? null]);
}

export class AwsClientPool {
  private readonly ecs = new Map<string, AwsApi>();
  private readonly sqs = new Map<string, AwsApi>();
  private readonly options: AwsClientPoolOptions;

  constructor(options: AwsClientPoolOptions) {
    this.options = options;
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

  /** The SQS client acting as `identity` in `region`. */
  readonly sqsClientFor = (identity: AwsIdentity | undefined, region?: string): AwsApi => {
    const key = JSON.stringify([identityKey(identity), region ?? null]);
    let client = this.sqs.get(key);
    if (client === undefined) {
      client = this.options.createSqsClient(this.provider(identity), region);
      this.sqs.set(key, client);
    }
    return client;
  };

  close(): void {
    for (const client of [...this.ecs.values(), ...this.sqs.values()]) client.destroy?.();
    this.ecs.clear();
    this.sqs.clear();
  }

  private provider(identity: AwsIdentity | undefined): CredentialsProvider | undefined {
    return identity === undefined ? undefined : this.options.credentials.providerFor(identity);
  }
}
