import { expect } from 'chai';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import {
  AssumeRoleDeniedError,
  AssumeRoleError,
  AssumedRoleCredentials,
  createStsApi,
  NAMESPACE_SESSION_TAG,
  roleSessionName,
  type SessionTag,
  type StsApi,
  type TemporaryCredentials,
} from '../../../src/aws/assumed-role-credentials.js';
import { AwsClientPool } from '../../../src/aws/aws-client-pool.js';
import { AccessDeniedError, TransientError } from '../../../src/controller/errors.js';
import { FakeClock } from '../../support/fake-clock.js';

const ROLE = 'arn:aws:iam::123456789012:role/team-a';
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Answers AssumeRole with numbered credentials valid for an hour from the clock's now. */
class FakeSts implements StsApi {
  readonly calls: {
    roleArn: string;
    externalId?: string;
    sessionName: string;
    tags?: readonly SessionTag[];
  }[] = [];
  fail: Error | undefined;
  private pending: (() => void)[] = [];
  hold = false;
  constructor(private readonly clock: FakeClock) {}

  async assumeRole(request: {
    roleArn: string;
    externalId?: string;
    sessionName: string;
    tags?: readonly SessionTag[];
  }): Promise<TemporaryCredentials> {
    this.calls.push(request);
    if (this.hold) await new Promise<void>((resolve) => this.pending.push(resolve));
    if (this.fail) throw this.fail;
    return {
      accessKeyId: `ASIA${this.calls.length}`,
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date(this.clock.now().getTime() + HOUR),
    };
  }

  release(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }
}

describe('AssumedRoleCredentials', () => {
  let clock: FakeClock;
  let sts: FakeSts;
  let credentials: AssumedRoleCredentials;
  beforeEach(() => {
    clock = new FakeClock();
    sts = new FakeSts(clock);
    credentials = new AssumedRoleCredentials({ sts, clock });
  });

  it('assumes the role with the external ID and a session name', async () => {
    const c = await credentials.credentialsFor({ roleArn: ROLE, externalId: 'team-a' });
    expect(c.accessKeyId).to.equal('ASIA1');
    expect(sts.calls).to.deep.equal([
      { roleArn: ROLE, externalId: 'team-a', sessionName: 'ecs-scheduler', durationSeconds: 3600 },
    ]);
  });

  const cases: { name: string; afterMs: number; calls: number }[] = [
    { name: 'reuses the credentials well before expiry', afterMs: 30 * MINUTE, calls: 1 },
    { name: 'reuses them just outside the refresh window', afterMs: HOUR - 5 * MINUTE - 1, calls: 1 },
    { name: 'refreshes inside the 5-minute window before expiry', afterMs: HOUR - 5 * MINUTE, calls: 2 },
    { name: 'refreshes after expiry', afterMs: 2 * HOUR, calls: 2 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await credentials.credentialsFor({ roleArn: ROLE });
      clock.advance(c.afterMs);
      await credentials.credentialsFor({ roleArn: ROLE });
      expect(sts.calls).to.have.length(c.calls);
    });
  }

  it('caches per role and external ID', async () => {
    await credentials.credentialsFor({ roleArn: ROLE, externalId: 'x' });
    await credentials.credentialsFor({ roleArn: ROLE, externalId: 'y' });
    await credentials.credentialsFor({ roleArn: ROLE });
    await credentials.credentialsFor({ roleArn: ROLE, externalId: 'x' });
    expect(sts.calls).to.have.length(3);
  });

  it('makes one AssumeRole for many concurrent callers', async () => {
    sts.hold = true;
    const all = Promise.all([1, 2, 3, 4].map(() => credentials.credentialsFor({ roleArn: ROLE })));
    await Promise.resolve();
    sts.release();
    const got = await all;
    expect(sts.calls).to.have.length(1);
    expect(new Set(got.map((c) => c.accessKeyId))).to.deep.equal(new Set(['ASIA1']));
  });

  it('a denial names the role and counts as AccessDenied (retried, then stalls past IAM propagation)', async () => {
    sts.fail = Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), {
      name: 'AccessDenied',
    });
    const err = await credentials.credentialsFor({ roleArn: ROLE, externalId: 'x' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AssumeRoleDeniedError).and.instanceOf(AccessDeniedError);
    expect((err as Error).message)
      .to.contain(ROLE)
      .and.contain('AccessDenied')
      .and.contain('trust policy');
    sts.fail = undefined;
    expect((await credentials.credentialsFor({ roleArn: ROLE, externalId: 'x' })).accessKeyId).to.equal(
      'ASIA2',
    );
  });

  it('a failed refresh keeps the still-valid credentials until they expire', async () => {
    await credentials.credentialsFor({ roleArn: ROLE });
    clock.advance(HOUR - MINUTE);
    sts.fail = new Error('STS unavailable');
    expect((await credentials.credentialsFor({ roleArn: ROLE })).accessKeyId).to.equal('ASIA1');
    clock.advance(2 * MINUTE);
    await credentials.credentialsFor({ roleArn: ROLE }).then(
      () => expect.fail('expired credentials were handed out'),
      (e: unknown) => {
        // An outage is not a denial: retried with backoff, never a reason to stall.
        expect(e).to.be.instanceOf(AssumeRoleError).and.instanceOf(TransientError);
        expect(e).to.not.be.instanceOf(AccessDeniedError);
      },
    );
  });
});

describe('AssumedRoleCredentials: sessions per namespace, for CloudTrail', () => {
  let clock: FakeClock;
  let sts: FakeSts;
  beforeEach(() => {
    clock = new FakeClock();
    sts = new FakeSts(clock);
  });

  it('names the session after the namespace and tags it with ecs-scheduler.dev/namespace', async () => {
    const credentials = new AssumedRoleCredentials({ sts, clock });
    await credentials.credentialsFor({ roleArn: ROLE, externalId: 'x', namespace: 'team-a' });
    expect(sts.calls).to.deep.equal([
      {
        roleArn: ROLE,
        externalId: 'x',
        sessionName: 'ecs-scheduler@team-a',
        durationSeconds: 3600,
        tags: [{ key: 'ecs-scheduler.dev/namespace', value: 'team-a' }],
      },
    ]);
  });

  it('one session per namespace under the same role, each cached', async () => {
    const credentials = new AssumedRoleCredentials({ sts, clock });
    const a = await credentials.credentialsFor({ roleArn: ROLE, namespace: 'team-a' });
    const b = await credentials.credentialsFor({ roleArn: ROLE, namespace: 'team-b' });
    await credentials.credentialsFor({ roleArn: ROLE, namespace: 'team-a' });
    expect(a.accessKeyId).to.not.equal(b.accessKeyId);
    expect(sts.calls.map((c) => c.sessionName)).to.deep.equal([
      'ecs-scheduler@team-a',
      'ecs-scheduler@team-b',
    ]);
  });

  it('with sessionTags off, the session still names the namespace but carries no tags', async () => {
    const credentials = new AssumedRoleCredentials({ sts, clock, sessionTags: false });
    await credentials.credentialsFor({ roleArn: ROLE, namespace: 'team-a' });
    expect(sts.calls[0]).to.deep.equal({
      roleArn: ROLE,
      sessionName: 'ecs-scheduler@team-a',
      durationSeconds: 3600,
    });
  });

  it('a denied tagged AssumeRole names the fix: sts:TagSession, or --sts-session-tags=false', async () => {
    const credentials = new AssumedRoleCredentials({ sts, clock });
    sts.fail = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/ecs-scheduler/x is not authorized to perform: sts:TagSession',
      ),
      { name: 'AccessDenied' },
    );
    const err = await credentials
      .credentialsFor({ roleArn: ROLE, namespace: 'team-a' })
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AssumeRoleDeniedError);
    expect((err as Error).message)
      .to.contain(ROLE)
      .and.contain('sts:TagSession')
      .and.contain('--sts-session-tags=false');
    // Untagged sessions cannot be refused for tags: no such hint.
    const untagged = new AssumedRoleCredentials({ sts, clock, sessionTags: false });
    const plain = await untagged
      .credentialsFor({ roleArn: ROLE, namespace: 'team-a' })
      .catch((e: unknown) => e);
    expect((plain as Error).message).to.not.contain('--sts-session-tags');
  });

  describe('roleSessionName: STS allows 2-64 characters of [\\w+=,.@-]', () => {
    const valid = /^[\w+=,.@-]{2,64}$/;
    it('short names are kept as they are', () => {
      expect(roleSessionName('ecs-scheduler', 'team-a')).to.equal('ecs-scheduler@team-a');
      expect(roleSessionName('ecs-scheduler', undefined)).to.equal('ecs-scheduler');
    });
    it('a 63-character namespace is cut to 64 with a hash, and two such names still differ', () => {
      const one = roleSessionName('ecs-scheduler', `${'a'.repeat(62)}1`);
      const two = roleSessionName('ecs-scheduler', `${'a'.repeat(62)}2`);
      for (const name of [one, two]) {
        expect(name).to.match(valid);
        expect(name).to.have.length(64);
        expect(name).to.match(/^ecs-scheduler@a+-[0-9a-f]{8}$/);
      }
      expect(one).to.not.equal(two);
    });
    it('characters STS refuses are replaced', () => {
      const name = roleSessionName('ecs scheduler/x', 'ns:1');
      expect(name).to.equal('ecs-scheduler-x@ns-1');
      expect(name).to.match(valid);
      expect(roleSessionName('x', undefined)).to.match(valid);
    });
  });

  it('createStsApi sends RoleSessionName and Tags in the AssumeRole input', async () => {
    const sent: AssumeRoleCommand[] = [];
    const api = createStsApi(
      {},
      {
        send: async (command) => {
          sent.push(command);
          return {
            $metadata: {},
            Credentials: {
              AccessKeyId: 'ASIA1',
              SecretAccessKey: 's',
              SessionToken: 't',
              Expiration: new Date('2026-01-01T01:00:00Z'),
            },
          };
        },
        destroy: () => undefined,
      },
    );
    const credentials = new AssumedRoleCredentials({ sts: api, clock });
    await credentials.credentialsFor({ roleArn: ROLE, externalId: 'x', namespace: 'team-a' });
    expect(sent).to.have.length(1);
    expect(sent[0]).to.be.instanceOf(AssumeRoleCommand);
    expect(sent[0]!.input).to.deep.equal({
      RoleArn: ROLE,
      RoleSessionName: 'ecs-scheduler@team-a',
      DurationSeconds: 3600,
      ExternalId: 'x',
      Tags: [{ Key: NAMESPACE_SESSION_TAG, Value: 'team-a' }],
    });
  });
});

describe('AwsClientPool', () => {
  it('one client per identity (and region for SQS); the controller’s own has no provider', async () => {
    const clock = new FakeClock();
    const sts = new FakeSts(clock);
    const built: { service: string; region?: string; assumed: boolean }[] = [];
    const pool = new AwsClientPool({
      credentials: new AssumedRoleCredentials({ sts, clock }),
      createEcsClient: (credentials) => {
        built.push({ service: 'ecs', assumed: credentials !== undefined });
        return { send: async () => credentials?.() };
      },
      createSqsClient: (credentials, region) => {
        built.push({ service: 'sqs', region, assumed: credentials !== undefined });
        return { send: async () => undefined };
      },
    });
    const own = pool.ecsClientFor();
    const teamA = pool.ecsClientFor({ roleArn: ROLE, externalId: 'a' });
    expect(pool.ecsClientFor()).to.equal(own);
    expect(pool.ecsClientFor({ roleArn: ROLE, externalId: 'a' })).to.equal(teamA);
    expect(pool.ecsClientFor({ roleArn: ROLE, externalId: 'b' })).to.not.equal(teamA);
    // Another namespace under the same role: its own session, so its own client.
    const otherNamespace = pool.ecsClientFor({ roleArn: ROLE, externalId: 'a', namespace: 'n2' });
    expect(otherNamespace).to.not.equal(teamA);
    pool.sqsClientFor(undefined, 'eu-west-1');
    pool.sqsClientFor(undefined, 'eu-west-1');
    pool.sqsClientFor({ roleArn: ROLE }, 'eu-west-1');
    pool.sqsClientFor({ roleArn: ROLE }, 'us-east-1');
    expect(built).to.deep.equal([
      { service: 'ecs', assumed: false },
      { service: 'ecs', assumed: true },
      { service: 'ecs', assumed: true },
      { service: 'ecs', assumed: true },
      { service: 'sqs', region: 'eu-west-1', assumed: false },
      { service: 'sqs', region: 'eu-west-1', assumed: true },
      { service: 'sqs', region: 'us-east-1', assumed: true },
    ]);
    // The assumed client's credentials come from STS, for its role.
    const creds = (await teamA.send({})) as TemporaryCredentials;
    expect(creds.accessKeyId).to.equal('ASIA1');
    expect(sts.calls[0]).to.include({ roleArn: ROLE, externalId: 'a' });
  });
});
