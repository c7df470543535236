import { expect } from 'chai';
import { benchControllerArgs } from '../../../bench/controller-args.js';

const usage = 'run [options]\n  --ecs-rate-limits on|off\n  --launch-write-delay 10s\n';
const base = {
  namespace: 'bench-x',
  ecsEndpoint: 'http://127.0.0.1:1',
  replicas: 1,
  quotasOff: true,
  controllerArgs: [] as string[],
};

describe('bench controller args', () => {
  it('measures the production launch-write delay, not the integration harness default of 0', () => {
    const { args } = benchControllerArgs(base, usage);
    const at = args.indexOf('--launch-write-delay');
    expect(at, 'the delay is passed').to.be.greaterThan(-1);
    expect(args[at + 1]).to.equal('10s');
  });

  it("leaves the delay to the user's --controller-arg, in either form", () => {
    for (const controllerArgs of [['--launch-write-delay', '0'], ['--launch-write-delay=2s']]) {
      const { args } = benchControllerArgs({ ...base, controllerArgs }, usage);
      expect(args.filter((a) => a.startsWith('--launch-write-delay'))).to.have.length(1);
      expect(args.slice(-controllerArgs.length)).to.deep.equal(controllerArgs);
    }
  });

  it('passes neither new flag to an older controller that lacks them, and says so for the quotas', () => {
    const { args, notes } = benchControllerArgs(base, 'run [options]\n');
    expect(args.some((a) => a.startsWith('--launch-write-delay') || a === '--ecs-rate-limits')).to.equal(
      false,
    );
    expect(notes).to.have.length(1);
  });

  it('leader-elects only with several replicas, and keeps the rate limits on with quotas on', () => {
    expect(benchControllerArgs(base, usage).args).to.not.include('--leader-elect');
    const { args } = benchControllerArgs({ ...base, replicas: 3, quotasOff: false }, usage);
    expect(args).to.include('--leader-elect');
    expect(args).to.not.include('--ecs-rate-limits');
  });
});
