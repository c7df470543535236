// Connections and deadlines against the real peers: the Kubernetes calls share one kept-alive
// dispatcher, the AWS clients keep their sockets, and a hung endpoint fails a call instead of
// holding a worker forever.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import { DescribeClustersCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { awsRequestHandler } from '../../src/aws/aws-http-handler.js';
import { loadKubeConfig } from '../../src/kube/kube-config.js';
import { startEcsSimulatorServer } from '../support/ecs-simulator/server.js';
import { EST } from './support/kube.js';
import { loadTestEnv } from './support/env.js';

/** Counts TCP connections this process opens while `fn` runs (Node's own net diagnostics). */
async function countingConnections<T>(fn: () => Promise<T>): Promise<{ result: T; opened: number }> {
  let opened = 0;
  const onSocket = () => opened++;
  subscribe('net.client.socket', onSocket);
  try {
    const result = await fn();
    return { result, opened };
  } finally {
    unsubscribe('net.client.socket', onSocket);
  }
}

describe('connections and deadlines', () => {
  it('Kubernetes: 40 calls, 8 at a time, share one kept-alive connection', async () => {
    const kc = loadKubeConfig({ kubeconfigPath: loadTestEnv().kubeconfigPath });
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    try {
      const { opened } = await countingConnections(async () => {
        for (let batch = 0; batch < 5; batch++) {
          await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              i % 2 === 0
                ? core.readNamespace({ name: 'default' })
                : custom.listNamespacedCustomObject({ ...EST, namespace: 'default', limit: 1 }),
            ),
          );
        }
      });
      expect(opened, 'HTTP/2 multiplexes every call on one connection').to.be.at.most(2);
      expect(kc.connectionsOpened).to.be.at.most(2);
    } finally {
      await kc.close();
    }
  });

  // moto answers every call with "Connection: close", so keep-alive shows against the simulator.
  it('AWS: sequential ECS calls reuse a kept-alive socket', async () => {
    const simulator = await startEcsSimulatorServer();
    const client = new ECSClient({
      region: 'us-east-1',
      endpoint: simulator.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      requestHandler: awsRequestHandler(),
    });
    try {
      const { opened } = await countingConnections(async () => {
        for (let i = 0; i < 20; i++) await client.send(new ListTasksCommand({ cluster: 'default' }));
      });
      expect(opened).to.be.at.most(2);
    } finally {
      client.destroy();
      await simulator.close();
    }
  });

  describe('a hung endpoint (accepts, never answers)', () => {
    let server: Server;
    const sockets: Socket[] = [];
    let url: string;

    before(async () => {
      server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      url = `http://127.0.0.1:${address.port}`;
    });

    after(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('fails an ECS call at the request deadline, not never', async () => {
      const client = new ECSClient({
        region: 'us-east-1',
        endpoint: url,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
        maxAttempts: 1,
        requestHandler: awsRequestHandler({ requestTimeoutMs: 500 }),
      });
      try {
        const error = await client.send(new DescribeClustersCommand({})).then(
          () => undefined,
          (err: unknown) => err as Error,
        );
        expect(error?.name).to.equal('TimeoutError');
      } finally {
        client.destroy();
      }
    });

    it('fails a Kubernetes call at the request deadline, not never', async () => {
      const kc = loadKubeConfig({
        kubeconfigPath: loadTestEnv().kubeconfigPath,
        connection: { requestTimeoutMs: 500 },
      });
      // Same credentials, pointed at the hung endpoint (plain HTTP needs insecure-skip-tls-verify).
      const cluster = kc.getCurrentCluster()!;
      Object.assign(cluster, { server: url, skipTLSVerify: true });
      const core = kc.makeApiClient(CoreV1Api);
      try {
        const error = await core.readNamespace({ name: 'default' }).then(
          () => undefined,
          (err: unknown) => err as Error,
        );
        expect(error, 'the call must fail').to.be.instanceOf(Error);
        expect(`${error?.name} ${error?.message}`).to.match(/timeout|abort/i);
      } finally {
        await kc.close();
      }
    });
  });
});
