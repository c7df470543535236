// Credentials for an admin policy's `assumeRoleArn`: STS AssumeRole with the controller's own
// credentials, cached per (role, external ID) and refreshed before they expire, so that a busy
// schedule does not call STS per run and a run never goes out with credentials about to lapse.
//
// Written here rather than taken from @aws-sdk/credential-providers' fromTemporaryCredentials:
// that package is not a dependency (and brings a dozen providers we do not use), and this way the
// refresh window runs on our injected Clock (unit-tested without waiting), a failure becomes our
// own error naming the role, and every refresh is logged.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { systemClock, type Clock } from '../controller/clock.js';
import { TransientError } from '../controller/errors.js';
import type { AwsIdentity } from '../controller/ports.js';
import { awsErrorMessage, awsErrorName } from '../ecs/aws-errors.js';
import { awsRequestHandler } from '../ecs/aws-http-handler.js';
import { silentLogger, type Logger } from '../log/logger.js';

/** What the SDK clients take as `credentials`: a function returning fresh credentials. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export type CredentialsProvider = () => Promise<TemporaryCredentials>;

/** The one STS call we make, behind a port so the cache is tested with a fake. */
export interface StsApi {
  assumeRole(request: {
    roleArn: string;
    externalId?: string;
    sessionName: string;
    durationSeconds: number;
  }): Promise<TemporaryCredentials>;
}

/** AssumeRole failed: the role's trust policy, the external ID, or STS itself. Retried with backoff. */
export class AssumeRoleError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'AssumeRoleFailed', options);
    this.name = 'AssumeRoleError';
  }
}

export interface AssumedRoleCredentialsOptions {
  readonly sts: StsApi;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** RoleSessionName: shows in CloudTrail as who acted. Default `ecs-scheduler`. */
  readonly sessionName?: string;
  /** Requested lifetime. Default 1 h, the most a role-chained session may have. */
  readonly durationSeconds?: number;
  /**
   * Refresh this long before expiry. Default 5 min: longer than any one reconcile pass and the
   * SDK's own 5-minute expiry margin, so a call never starts with credentials the SDK would reject.
   */
  readonly refreshBeforeMs?: number;
}

function cacheKey(identity: AwsIdentity): string {
  return JSON.stringify([identity.roleArn, identity.externalId ?? null]);
}

export class AssumedRoleCredentials {
  private readonly sts: StsApi;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sessionName: string;
  private readonly durationSeconds: number;
  private readonly refreshBeforeMs: number;
  private readonly cached = new Map<string, TemporaryCredentials>();
  /** One AssumeRole in flight per identity, however many calls want it. */
  private readonly inFlight = new Map<string, Promise<TemporaryCredentials>>();

  constructor(options: AssumedRoleCredentialsOptions) {
    this.sts = options.sts;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'sts' });
    this.sessionName = options.sessionName ?? 'ecs-scheduler';
    this.durationSeconds = options.durationSeconds ?? 3600;
    this.refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  }

  /** A provider for SDK clients acting as `identity`. */
  providerFor(identity: AwsIdentity): CredentialsProvider {
    return () => this.credentialsFor(identity);
  }

  async credentialsFor(identity: AwsIdentity): Promise<TemporaryCredentials> {
    const key = cacheKey(identity);
    const current = this.cached.get(key);
    if (current && current.expiration.getTime() - this.refreshBeforeMs > this.clock.now().getTime())
      return current;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.assume(identity).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async assume(identity: AwsIdentity): Promise<TemporaryCredentials> {
    const key = cacheKey(identity);
    try {
      const credentials = await this.sts.assumeRole({
        roleArn: identity.roleArn,
        ...(identity.externalId === undefined ? {} : { externalId: identity.externalId }),
        sessionName: this.sessionName,
        durationSeconds: this.durationSeconds,
      });
      this.cached.set(key, credentials);
      this.log.info('assumed role', {
        roleArn: identity.roleArn,
        expiresAt: credentials.expiration.toISOString(),
      });
      return credentials;
    } catch (err) {
      // Credentials that are still valid keep working through a short STS outage.
      const stale = this.cached.get(key);
      if (stale && stale.expiration.getTime() > this.clock.now().getTime()) {
        this.log.warn(
          'refreshing assumed-role credentials failed; using the current ones until they expire',
          {
            roleArn: identity.roleArn,
            error: awsErrorMessage(err),
          },
        );
        return stale;
      }
      throw new AssumeRoleError(
        `cannot assume ${identity.roleArn}${identity.externalId === undefined ? '' : ' (with externalId)'}: ` +
          `${awsErrorName(err)}: ${awsErrorMessage(err)}. Check that the role's trust policy allows the controller's role` +
          ' and that the external IDs match.',
        { cause: err },
      );
    }
  }
}

export interface StsClientSettings {
  readonly region?: string;
  /** Endpoint override (moto, LocalStack, a VPC endpoint). */
  readonly endpoint?: string;
  readonly maxAttempts?: number;
}

/** StsApi on a real STSClient with the controller's own credentials (the SDK's default chain). */
export function createStsApi(settings: StsClientSettings): StsApi & { close(): void } {
  const client = new STSClient({
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    maxAttempts: settings.maxAttempts ?? 3,
    requestHandler: awsRequestHandler(),
  });
  return {
    async assumeRole(request) {
      const out = await client.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: request.sessionName,
          DurationSeconds: request.durationSeconds,
          ...(request.externalId === undefined ? {} : { ExternalId: request.externalId }),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
        throw new Error('AssumeRole returned no credentials');
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    },
    close: () => client.destroy(),
  };
}
