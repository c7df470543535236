// Credentials for an admin policy's `assumeRoleArn`: STS AssumeRole with the controller's own
// credentials, cached per (role, external ID) and refreshed before they expire, so that a busy
// schedule does not call STS per run and a run never goes out with credentials about to lapse.
//
// Written here rather than taken from @aws-sdk/credential-providers' fromTemporaryCredentials:
// that package is not a dependency (and brings a dozen providers we do not use), and this way the
// refresh window runs on our injected Clock (unit-tested without waiting), a failure becomes our
// own error naming the role, and every refresh is logged.
//
// A session acts for one namespace: its RoleSessionName names it (CloudTrail shows
// assumed-role/<role>/ecs-scheduler@<namespace>) and it carries the session tag
// ecs-scheduler.dev/namespace (aws:PrincipalTag in CloudTrail and in the role's own policies), so
// two namespaces sharing a role can be told apart. Credentials are therefore per namespace, not per
// resource: a resource's name in the session would cost an STS call and a client per resource.
// Tagging needs sts:TagSession in the role's trust policy; without it AssumeRole is denied, and the
// error says so and names both fixes (allow it, or --sts-session-tags=false).
import { createHash } from 'node:crypto';
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import { systemClock, type Clock } from '../controller/clock.js';
import { AccessDeniedError, TransientError } from '../controller/errors.js';
import type { AwsIdentity } from '../controller/ports.js';
import { awsErrorMessage, awsErrorName } from './aws-errors.js';
import { awsRequestHandler } from './aws-http-handler.js';
import { silentLogger, type Logger } from '../log/logger.js';

/** What the SDK clients take as `credentials`: a function returning fresh credentials. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export type CredentialsProvider = () => Promise<TemporaryCredentials>;

export interface SessionTag {
  readonly key: string;
  readonly value: string;
}

/** The one STS call we make, behind a port so the cache is tested with a fake. */
export interface StsApi {
  assumeRole(request: {
    roleArn: string;
    externalId?: string;
    sessionName: string;
    durationSeconds: number;
    /** Session tags; absent when none are sent. */
    tags?: readonly SessionTag[];
  }): Promise<TemporaryCredentials>;
}

/** The session tag naming the namespace a session acts for. */
export const NAMESPACE_SESSION_TAG = 'ecs-scheduler.dev/namespace';

/** STS's limits on RoleSessionName: 2 to 64 characters of [\w+=,.@-]. */
const SESSION_NAME_MAX = 64;
const SESSION_NAME_UNSAFE = /[^\w+=,.@-]/g;

/**
 * The RoleSessionName for a session acting for `namespace`: `<base>@<namespace>`, with any
 * character STS refuses replaced by `-`; past 64 characters it is cut and ends in 8 hex digits of
 * the full name's hash, so two long names still differ.
 */
export function roleSessionName(base: string, namespace: string | undefined): string {
  const full = (namespace === undefined ? base : `${base}@${namespace}`).replace(SESSION_NAME_UNSAFE, '-');
  if (full.length <= SESSION_NAME_MAX) return full.length >= 2 ? full : full.padEnd(2, '-');
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, SESSION_NAME_MAX - hash.length - 1)}-${hash}`;
}

/** AssumeRole failed: the external ID, or STS itself. Retried with backoff. */
export class AssumeRoleError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'AssumeRoleFailed', options);
    this.name = 'AssumeRoleError';
  }
}

/**
 * AssumeRole was denied (the role's trust policy). An AccessDeniedError, so a denial that outlasts
 * IAM propagation stalls the resource as a denied ECS or SQS call does, instead of retrying forever.
 */
export class AssumeRoleDeniedError extends AccessDeniedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'AssumeRoleDenied', options);
    this.name = 'AssumeRoleDeniedError';
  }
}

export interface AssumedRoleCredentialsOptions {
  readonly sts: StsApi;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * RoleSessionName's prefix: CloudTrail shows `<sessionName>@<namespace>` as who acted. Default
   * `ecs-scheduler`.
   */
  readonly sessionName?: string;
  /**
   * Tag each session with ecs-scheduler.dev/namespace. Default true. Needs sts:TagSession in the
   * role's trust policy (--sts-session-tags=false when it cannot have it).
   */
  readonly sessionTags?: boolean;
  /** Requested lifetime. Default 1 h, the most a role-chained session may have. */
  readonly durationSeconds?: number;
  /**
   * Refresh this long before expiry. Default 5 min: longer than any one reconcile pass and the
   * SDK's own 5-minute expiry margin, so a call never starts with credentials the SDK would reject.
   */
  readonly refreshBeforeMs?: number;
}

function cacheKey(identity: AwsIdentity): string {
  return JSON.stringify([identity.roleArn, identity.externalId ?? null, identity.namespace ?? null]);
}

export class AssumedRoleCredentials {
  private readonly sts: StsApi;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sessionName: string;
  private readonly sessionTags: boolean;
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
    this.sessionTags = options.sessionTags ?? true;
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
    const sessionName = roleSessionName(this.sessionName, identity.namespace);
    const tagged = this.sessionTags && identity.namespace !== undefined;
    try {
      const credentials = await this.sts.assumeRole({
        roleArn: identity.roleArn,
        ...(identity.externalId === undefined ? {} : { externalId: identity.externalId }),
        sessionName,
        durationSeconds: this.durationSeconds,
        ...(tagged ? { tags: [{ key: NAMESPACE_SESSION_TAG, value: identity.namespace! }] } : {}),
      });
      this.cached.set(key, credentials);
      this.log.info('assumed role', {
        roleArn: identity.roleArn,
        sessionName,
        ...(identity.namespace === undefined ? {} : { namespace: identity.namespace }),
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
      const denied = /AccessDenied/.test(awsErrorName(err));
      throw new (denied ? AssumeRoleDeniedError : AssumeRoleError)(
        `cannot assume ${identity.roleArn}${identity.externalId === undefined ? '' : ' (with externalId)'}: ` +
          `${awsErrorName(err)}: ${awsErrorMessage(err)}. Check that the role's trust policy allows the controller's role` +
          ' and that the external IDs match.' +
          (tagged && denied
            ? ` The session is tagged (${NAMESPACE_SESSION_TAG}), so the trust policy must also allow` +
              ' sts:TagSession (docs/operating/tenancy.md, "One IAM role per team"), or start the controller with --sts-session-tags=false.'
            : ''),
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

/** What createStsApi needs of an STSClient (a fake in tests). */
export interface StsSender {
  // Method syntax on purpose: it keeps the SDK client's generic, overloaded `send` assignable.
  send(command: AssumeRoleCommand): Promise<AssumeRoleCommandOutput>;
  destroy(): void;
}

/** StsApi on a real STSClient with the controller's own credentials (the SDK's default chain). */
export function createStsApi(
  settings: StsClientSettings,
  client: StsSender = new STSClient({
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    maxAttempts: settings.maxAttempts ?? 3,
    requestHandler: awsRequestHandler(),
  }),
): StsApi & { close(): void } {
  return {
    async assumeRole(request) {
      const out = await client.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: request.sessionName,
          DurationSeconds: request.durationSeconds,
          ...(request.externalId === undefined ? {} : { ExternalId: request.externalId }),
          ...(request.tags === undefined
            ? {}
            : { Tags: request.tags.map((t) => ({ Key: t.key, Value: t.value })) }),
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
