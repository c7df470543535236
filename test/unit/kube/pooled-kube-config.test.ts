import { expect } from 'chai';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../../src/kube/pooled-kube-config.js';

// Two clusters and two users; the certificate data is not a real certificate (nothing connects
// here), only material the dispatcher is keyed on.
function kubeconfig(certData = 'Y2VydC1vbmU=') {
  return `
apiVersion: v1
kind: Config
current-context: admin@one
clusters:
  - name: one
    cluster: {server: 'https://one.example:6443', certificate-authority-data: Y2EtZGF0YQ==}
  - name: two
    cluster: {server: 'https://two.example:6443', certificate-authority-data: Y2EtZGF0YQ==}
users:
  - name: admin
    user: {token: secret-token}
  - name: robot
    user: {client-certificate-data: ${certData}, client-key-data: a2V5}
contexts:
  - name: admin@one
    context: {cluster: one, user: admin}
  - name: robot@one
    context: {cluster: one, user: robot}
  - name: admin@two
    context: {cluster: two, user: admin}
`;
}

function load(certData?: string): PooledKubeConfig {
  const kc = new PooledKubeConfig({ requestTimeoutMs: 30_000 });
  kc.loadFromString(kubeconfig(certData));
  return kc;
}

async function prepared(kc: PooledKubeConfig, url = 'https://one.example:6443/api/v1/namespaces') {
  const context = new RequestContext(url, HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return context;
}

describe('PooledKubeConfig', () => {
  it('hands every request for one cluster and user the same dispatcher', async () => {
    const kc = load();
    const first = await prepared(kc);
    const second = await prepared(kc);
    expect(first.getDispatcher()).to.not.equal(undefined);
    expect(second.getDispatcher()).to.equal(first.getDispatcher());
    expect(kc.dispatcherCount).to.equal(1);
    await kc.close();
  });

  it('keys dispatchers by cluster and user', async () => {
    const kc = load();
    const seen = [];
    for (const context of ['admin@one', 'robot@one', 'admin@two', 'admin@one']) {
      kc.setCurrentContext(context);
      seen.push((await prepared(kc)).getDispatcher());
    }
    expect(new Set(seen).size, 'three pairs, one of them twice').to.equal(3);
    expect(seen[3]).to.equal(seen[0]);
    await kc.close();
  });

  it('gives rotated client credentials a new dispatcher', async () => {
    const kc = load('Y2VydC1vbmU=');
    kc.setCurrentContext('robot@one');
    const before = (await prepared(kc)).getDispatcher();
    // An exec plugin or a remounted secret changed the certificate under the same names.
    const user = kc.getUsers().find((u) => u.name === 'robot')!;
    (user as { certData?: string }).certData = 'Y2VydC10d28=';
    const after = (await prepared(kc)).getDispatcher();
    expect(after).to.not.equal(before);
    expect(kc.dispatcherCount).to.equal(1);
    await kc.close();
  });

  it('still sends the credentials: the bearer token header', async () => {
    const context = await prepared(load());
    expect(context.getHeaders()['Authorization']).to.equal('Bearer secret-token');
  });

  const deadlineCases: { name: string; url: string; deadline: boolean }[] = [
    { name: 'a read', url: 'https://one.example:6443/api/v1/namespaces/a/events', deadline: true },
    {
      name: 'a status write',
      url: 'https://one.example:6443/apis/x.io/v1/namespaces/a/things/b/status',
      deadline: true,
    },
    {
      name: 'a watch (its own inactivity timeout applies)',
      url: 'https://one.example:6443/apis/x.io/v1/things?watch=true&resourceVersion=5',
      deadline: false,
    },
  ];
  for (const c of deadlineCases) {
    it(`${c.deadline ? 'puts a deadline on' : 'leaves without a deadline'} ${c.name}`, async () => {
      const context = await prepared(load(), c.url);
      expect(context.getSignal() !== undefined).to.equal(c.deadline);
      expect(context.getSignal()?.aborted ?? false).to.equal(false);
    });
  }

  it('keeps a caller signal working beside the deadline', async () => {
    const kc = load();
    const caller = new AbortController();
    const context = new RequestContext('https://one.example:6443/api/v1/pods', HttpMethod.GET);
    context.setSignal(caller.signal);
    await kc.applySecurityAuthentication(context);
    expect(context.getSignal()).to.not.equal(caller.signal);
    caller.abort();
    expect(context.getSignal()?.aborted).to.equal(true);
  });
});
