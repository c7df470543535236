import { expect } from 'chai';
import { awsRequestHandler, type AwsHttpOptions } from '../../../src/aws/aws-http-handler.js';

describe('awsRequestHandler', () => {
  const cases: {
    name: string;
    options: AwsHttpOptions;
    connect: number;
    request: number;
    sockets: number;
  }[] = [
    { name: 'defaults', options: {}, connect: 3_000, request: 10_000, sockets: 64 },
    {
      name: 'overrides',
      options: { connectionTimeoutMs: 500, requestTimeoutMs: 2_000, maxSockets: 8 },
      connect: 500,
      request: 2_000,
      sockets: 8,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const handler = awsRequestHandler(c.options);
      expect(handler.connectionTimeout).to.equal(c.connect);
      expect(handler.requestTimeout).to.equal(c.request);
      // Without it the SDK only logs a warning when a request overruns.
      expect(handler.throwOnRequestTimeout).to.equal(true);
      for (const agent of [handler.httpAgent, handler.httpsAgent]) {
        expect(agent).to.deep.equal({ keepAlive: true, maxSockets: c.sockets });
      }
    });
  }
});
