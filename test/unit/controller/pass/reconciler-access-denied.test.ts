// An AWS access denial is retried while IAM propagates (IAM_PROPAGATION_MS, measured on the
// injected clock from the first denial of the resource) and then stalls the resource: a Stalled
// condition with reason AccessDenied, one Warning event, and no retry with backoff (the pass ends
// without throwing and asks for the next scheduled time). A pass that ends clean starts the count
// again. The errors are made by the
// adapters' own mapping (mapAwsError), as the ECS and SQS clients throw them.
import { expect } from 'chai';
import { TransientError } from '../../../../src/controller/errors.js';
import type { ReconcileResult } from '../../../../src/controller/pass/reconciler.js';
import { IAM_PROPAGATION_MS, mapAwsError } from '../../../../src/aws/aws-errors.js';
import { awsError } from '../../aws/ecs/support.js';
import { harness } from './harness.js';

const denied = (what = 'ECS RunTask') =>
  mapAwsError(
    what,
    awsError('AccessDeniedException', {
      message: 'User: arn:aws:sts::1:assumed-role/ctl is not authorized to perform: ecs:RunTask',
    }),
  );

const condition = (h: ReturnType<typeof harness>, type: string) =>
  h.status().conditions?.find((c) => c.type === type);

async function pass(h: ReturnType<typeof harness>, at: string): Promise<unknown> {
  try {
    return await h.reconcile(at);
  } catch (error) {
    return error;
  }
}

const at = (iso: string, plusMs: number) => new Date(Date.parse(iso) + plusMs).toISOString();
const first = '2026-03-01T10:00:05.000Z';

describe('Reconciler: an access denial that outlasts IAM propagation stalls the resource', () => {
  it('retries a denied RunTask with backoff for 2 minutes, then stalls with one Warning event', async () => {
    const h = harness();
    h.launcher.script({ error: denied() }, { error: denied() }, { error: denied() }, { error: denied() });

    expect(await pass(h, first), 'retried with backoff').to.be.instanceOf(TransientError);
    const atBound = await pass(h, at(first, IAM_PROPAGATION_MS));
    expect(atBound, 'still IAM propagation at the bound itself').to.be.instanceOf(TransientError);
    expect(condition(h, 'Stalled')).to.include({ status: 'False' });
    expect(h.events.reasons()).to.not.include('AccessDenied');

    const late = await pass(h, at(first, IAM_PROPAGATION_MS + 1_000));
    expect(late, 'not thrown: no retry with backoff').to.not.be.instanceOf(Error);
    // The next attempt is the next scheduled time's (11:00), not a hot retry.
    expect((late as ReconcileResult).requeueAfterMs).to.be.greaterThan(50 * 60_000);
    expect(condition(h, 'Stalled')).to.include({ status: 'True', reason: 'AccessDenied' });
    expect(condition(h, 'Ready')).to.include({ status: 'False', reason: 'AccessDenied' });
    expect(condition(h, 'Stalled')?.message).to.match(
      /^AWS has denied access since 2026-03-01T10:00:05\.000Z, .*not authorized to perform: ecs:RunTask/,
    );
    expect(condition(h, 'Reconciling')?.message).to.include("role's permissions");
    expect(h.events.events.filter((e) => e.reason === 'AccessDenied')).to.deep.equal([
      {
        key: 'data/report',
        type: 'Warning',
        reason: 'AccessDenied',
        message: condition(h, 'Stalled')!.message,
      },
    ]);
    expect(h.runs(), 'the due time is neither run nor recorded').to.deep.equal([]);

    // The resync ten minutes later tries once more: still denied, still stalled, no second event.
    const resync = await pass(h, at(first, 12 * 60_000));
    expect(resync).to.not.be.instanceOf(Error);
    expect(condition(h, 'Stalled')).to.include({ status: 'True', reason: 'AccessDenied' });
    expect(h.events.events.filter((e) => e.reason === 'AccessDenied')).to.have.length(1);

    // The role is fixed: the next pass launches and the stall clears.
    await h.reconcile(at(first, 22 * 60_000));
    expect(h.launcher.launchedCount).to.equal(1);
    expect(condition(h, 'Stalled')).to.include({ status: 'False' });
    expect(condition(h, 'Ready')).to.include({ status: 'True' });
  });

  it('a clean pass ends the streak: a later denial gets its own 2 minutes', async () => {
    const h = harness();
    h.launcher.script({ error: denied() });
    expect(await pass(h, first)).to.be.instanceOf(TransientError);
    // Launches: the denial is over.
    await h.reconcile(at(first, 60_000));
    expect(h.launcher.launchedCount).to.equal(1);
    h.launcher.finishAll();
    const nextHour = '2026-03-01T11:00:05.000Z';
    h.launcher.script({ error: denied() }, { error: denied() });
    expect(await pass(h, nextHour)).to.be.instanceOf(TransientError);
    const later = await pass(h, at(nextHour, 90_000));
    expect(later, 'an hour after the first denial, but 90 s into this one').to.be.instanceOf(TransientError);
    expect(condition(h, 'Stalled')).to.include({ status: 'False' });
  });

  it('another error in between neither starts nor ends the streak', async () => {
    const h = harness();
    h.launcher.script(
      { error: denied() },
      { error: new TransientError('ECS RunTask failed: ServerException', 'ServerException') },
      { error: denied() },
    );
    await pass(h, first);
    await pass(h, at(first, 60_000));
    expect(await pass(h, at(first, IAM_PROPAGATION_MS + 5_000))).to.not.be.instanceOf(Error);
    expect(condition(h, 'Stalled')).to.include({ status: 'True', reason: 'AccessDenied' });
  });

  it('a denied DescribeTasks before anything is decided counts the same way', async () => {
    const h = harness();
    await h.reconcile(first);
    expect(h.launcher.launchedCount).to.equal(1);
    h.launcher.errors.describe = denied('ECS DescribeTasks');
    const since = at(first, 30_000);
    expect(await pass(h, since)).to.be.instanceOf(TransientError);
    const late = await pass(h, at(since, IAM_PROPAGATION_MS + 1_000));
    expect(late).to.not.be.instanceOf(Error);
    expect(condition(h, 'Stalled')).to.include({ status: 'True', reason: 'AccessDenied' });
    expect(condition(h, 'Reconciling')?.message).to.include("role's permissions");
    expect(h.events.reasons().filter((r) => r === 'AccessDenied')).to.have.length(1);
    expect(
      h.runs().map((r) => r.result),
      'the run is kept as it was',
    ).to.deep.equal(['Running']);
  });

  it('a denied SQS trigger queue counts the same way', async () => {
    const h = harness({
      trigger: { sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q', messagesPerTask: 1 } },
      maxCount: 5,
    });
    h.queueDepth.error = denied('SQS GetQueueAttributes (q)');
    expect(await pass(h, first)).to.be.instanceOf(TransientError);
    expect(condition(h, 'Reconciling')).to.include({ status: 'True', reason: 'QueueDepthUnavailable' });
    const late = await pass(h, at(first, IAM_PROPAGATION_MS + 1_000));
    expect(late).to.not.be.instanceOf(Error);
    expect(condition(h, 'Stalled')).to.include({ status: 'True', reason: 'AccessDenied' });
    expect(h.launcher.runRequests).to.deep.equal([]);
  });
});
