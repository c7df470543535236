import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadKubeConfig } from '../../../src/kube/kube-config.js';

const kubeconfig = `
apiVersion: v1
kind: Config
current-context: one
clusters:
  - name: c1
    cluster: {server: 'https://one.example:6443'}
  - name: c2
    cluster: {server: 'https://two.example:6443'}
users:
  - name: u
    user: {token: abc}
contexts:
  - name: one
    context: {cluster: c1, user: u}
  - name: two
    context: {cluster: c2, user: u}
`;

describe('loadKubeConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  const path = join(dir, 'config');
  writeFileSync(path, kubeconfig);

  it('loads the given kubeconfig with its current context', () => {
    expect(loadKubeConfig({ kubeconfigPath: path }).getCurrentCluster()?.server).to.equal(
      'https://one.example:6443',
    );
  });

  it('switches to the requested context', () => {
    expect(loadKubeConfig({ kubeconfigPath: path, context: 'two' }).getCurrentCluster()?.server).to.equal(
      'https://two.example:6443',
    );
  });

  it('names the known contexts when the requested one is missing', () => {
    expect(() => loadKubeConfig({ kubeconfigPath: path, context: 'three' })).to.throw(
      /no context "three".*one, two/,
    );
  });

  it('falls back to ~/.kube/config outside a pod', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    const kubeDir = join(home, '.kube');
    const fileExists = (p: string) => p === join(kubeDir, 'config');
    mkdirSync(kubeDir, { recursive: true });
    writeFileSync(join(kubeDir, 'config'), kubeconfig);
    expect(
      loadKubeConfig({ homeDir: home, fileExists, inCluster: false }).getCurrentCluster()?.server,
    ).to.equal('https://one.example:6443');
  });

  it('explains what is missing when there is no configuration at all', () => {
    expect(() => loadKubeConfig({ homeDir: '/nonexistent', fileExists: () => false })).to.throw(
      /no Kubernetes configuration/,
    );
  });

  it('rejects --context with in-cluster config', () => {
    expect(() => loadKubeConfig({ inCluster: true, context: 'x' })).to.throw(/--context needs a kubeconfig/);
  });
});
