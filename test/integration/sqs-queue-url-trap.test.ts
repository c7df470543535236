// SSRF, end to end: a tenant points spec.trigger.sqs.queueUrl at a host of its choosing (here a
// loopback port that only counts connections). The real controller, against the real API server
// and moto, reads its runs and refuses the URL, naming the field, and not one connection reaches
// the trap, while a trigger on moto's own queue is read as usual.
import { expect } from 'chai';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { API_VERSION, KIND } from '../../src/api/constants.js';
import {
  customObjects,
  EST,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';

describe('SQS queueUrl on a foreign host (real controller, API server and moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('sqs-trap');
  let trap: Server;
  let connections = 0;
  let controller: ControllerProcess | undefined;

  before(async () => {
    trap = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await controller?.kill();
    await new Promise<void>((resolve) => trap.close(() => resolve()));
  });

  it('refuses the URL before any request, naming spec.trigger.sqs.queueUrl; the trap sees nothing', async () => {
    const { port } = trap.address() as AddressInfo;
    const trapUrl = `http://127.0.0.1:${port}/123456789012/consumer-task-queue`;
    const body = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: 'trap', namespace: ns.name },
      spec: {
        schedule: '* * * * * *',
        maxCount: 1,
        trigger: { sqs: { queueUrl: trapUrl, messagesPerTask: 1 } },
        task: { cluster: 'default', taskDefinition: 'sleeper-task', launchType: 'EC2' },
      },
    };
    await customObjects().createNamespacedCustomObject({ ...EST, namespace: ns.name, body });

    // --policy off: the point is the trigger's own guard, not a policy's queue list.
    controller = await startController(['--namespace', ns.name, '--policy', 'off']);
    const refused = await controller.waitForLine(
      (l) =>
        l.resource === `${ns.name}/trap` && JSON.stringify(l).includes('spec.trigger.sqs.queueUrl: host'),
      30_000,
      'the queueUrl refusal',
    );
    expect(JSON.stringify(refused)).to.contain(`host 127.0.0.1:${port} is not an SQS endpoint`);
    // The refusal is where the SQS call would have been: nothing reached the trap before it.
    expect(connections).to.equal(0);
    expect(loadTestEnv().awsEndpoint).to.not.contain(`:${port}`);
  });
});
