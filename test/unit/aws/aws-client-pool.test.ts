import { expect } from 'chai';
import { AssumedRoleCredentials, type StsApi } from '../../../src/aws/assumed-role-credentials.js';
import { AwsClientPool, DEFAULT_MAX_SQS_CLIENTS } from '../../../src/aws/aws-client-pool.js';
import { awsRegionProblem } from '../../../src/aws/aws-region.js';
import { TerminalError } from '../../../src/controller/errors.js';
import { FakeClock } from '../../support/fake-clock.js';

const ROLE = 'arn:aws:iam::123456789012:role/team-a';

/** An SQS client that counts its calls and whether it was destroyed; `hold` keeps calls pending. */
class FakeSqsClient {
  destroyed = false;
  calls = 0;
  hold = false;
  private pending: (() => void)[] = [];
  constructor(readonly region: string | undefined) {}
  async send(): Promise<unknown> {
    if (this.destroyed) throw new Error('send on a destroyed client');
    this.calls++;
    if (this.hold) await new Promise<void>((resolve) => this.pending.push(resolve));
    return {};
  }
  destroy(): void {
    this.destroyed = true;
  }
  release(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }
}

const noSts: StsApi = {
  assumeRole: () => Promise.reject(new Error('no STS in this test')),
};

function setup(options: { maxSqsClients?: number; defaultRegion?: string } = {}) {
  const built: FakeSqsClient[] = [];
  const pool = new AwsClientPool({
    credentials: new AssumedRoleCredentials({ sts: noSts, clock: new FakeClock() }),
    createEcsClient: () => ({ send: async () => undefined }),
    createSqsClient: (_credentials, region) => {
      const client = new FakeSqsClient(region);
      built.push(client);
      return client;
    },
    ...options,
  });
  return { pool, built, live: () => built.filter((c) => !c.destroyed) };
}

/** A well-formed region in the aws partition that does not exist: us-aaa-1, us-aab-1, ... */
function inventedRegion(i: number): string {
  let label = '';
  for (let n = i, k = 0; k < 3; k++, n = Math.floor(n / 26))
    label = String.fromCharCode(97 + (n % 26)) + label;
  return `us-${label}-1`;
}

describe('AwsClientPool: SQS clients', () => {
  it('2,000 invented regions keep the pool bounded: evicted clients are destroyed', async () => {
    const { pool, built, live } = setup();
    for (let i = 0; i < 2_000; i++) {
      const region = inventedRegion(i);
      expect(awsRegionProblem(region), region).to.equal(undefined);
      await pool.sqsClientFor(undefined, region).send({});
      await pool.sqsClientFor({ roleArn: ROLE, namespace: 'tenant' }, region).send({});
    }
    expect(built).to.have.length(4_000);
    expect(live()).to.have.length(DEFAULT_MAX_SQS_CLIENTS);
    expect(pool.sqsClientCount()).to.equal(DEFAULT_MAX_SQS_CLIENTS);
    expect(DEFAULT_MAX_SQS_CLIENTS).to.be.at.most(64);
    pool.close();
    expect(live()).to.have.length(0);
  });

  it('keeps the most recently used clients: one in steady use is never evicted', async () => {
    const { pool, built } = setup({ maxSqsClients: 3 });
    const steady = pool.sqsClientFor(undefined, 'eu-west-1');
    for (let i = 0; i < 10; i++) {
      await pool.sqsClientFor(undefined, inventedRegion(i)).send({});
      expect(pool.sqsClientFor(undefined, 'eu-west-1')).to.equal(steady);
    }
    expect(built.filter((c) => c.region === 'eu-west-1')).to.have.length(1);
    expect(built.find((c) => c.region === 'eu-west-1')!.destroyed).to.equal(false);
    expect(pool.sqsClientCount()).to.equal(3);
  });

  it('an evicted client is destroyed only once its call in flight settles', async () => {
    const { pool, built } = setup({ maxSqsClients: 1 });
    const first = pool.sqsClientFor(undefined, 'eu-west-1');
    built[0]!.hold = true;
    const call = first.send({});
    pool.sqsClientFor(undefined, 'us-east-1'); // evicts eu-west-1 mid-call
    expect(built[0]!.destroyed, 'destroyed under its call').to.equal(false);
    expect(pool.sqsClientCount()).to.equal(2);
    built[0]!.release();
    await call;
    expect(built[0]!.destroyed).to.equal(true);
    expect(pool.sqsClientCount()).to.equal(1);
  });

  it('a caller still holding an evicted client is served by a fresh one', async () => {
    const { pool, built } = setup({ maxSqsClients: 1 });
    const held = pool.sqsClientFor(undefined, 'eu-west-1');
    pool.sqsClientFor(undefined, 'us-east-1');
    expect(built[0]!.destroyed).to.equal(true);
    await held.send({});
    expect(built.map((c) => c.region)).to.deep.equal(['eu-west-1', 'us-east-1', 'eu-west-1']);
    expect(built[2]!.calls).to.equal(1);
  });

  for (const region of ['evil.example', '127.0.0.1', 'us-east-1.evil', 'zz-top-1', 'xx-nowhere-3']) {
    it(`refuses the region ${JSON.stringify(region)} with a terminal error, building nothing`, () => {
      const { pool, built } = setup();
      let error: unknown;
      try {
        pool.sqsClientFor(undefined, region);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TerminalError);
      expect((error as TerminalError).reason).to.equal('RegionRefused');
      expect((error as Error).message).to.match(/is not an AWS region/);
      expect(built).to.have.length(0);
    });
  }

  it("allows the controller's own region whatever it looks like (a LocalStack setup's)", () => {
    const { pool, built } = setup({ defaultRegion: 'local' });
    pool.sqsClientFor(undefined, 'local');
    pool.sqsClientFor(undefined, undefined);
    expect(built.map((c) => c.region)).to.deep.equal(['local', undefined]);
  });
});

describe('awsRegionProblem', () => {
  for (const region of [
    'us-east-1',
    'eu-central-2',
    'ap-southeast-5',
    'il-central-1',
    'mx-central-1',
    'cn-northwest-1',
    'us-gov-west-1',
    'us-iso-east-1',
    'us-isob-east-1',
    'us-isof-south-1',
    'eu-isoe-west-1',
  ]) {
    it(`accepts ${region}`, () => expect(awsRegionProblem(region)).to.equal(undefined));
  }
  for (const region of ['', 'US-EAST-1', 'us-east', 'zz-top-1', 'us-east-1.evil', 'us-east-123']) {
    it(`refuses ${JSON.stringify(region)}`, () =>
      expect(awsRegionProblem(region)).to.match(/not an AWS region/));
  }
});
