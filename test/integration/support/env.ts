import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, for manifests such as examples/ and crds/. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** What `scripts/testenv.js up` wrote to .testenv/env.json. */
export interface TestEnv {
  readonly kubeconfigPath: string;
  readonly kubeApiUrl: string;
  readonly awsEndpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly ecsCluster: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
  readonly queueUrl: string;
  /** The raw variables, to pass on to a child process (kubectl, the controller). */
  readonly vars: Readonly<Record<string, string>>;
}

let cached: TestEnv | undefined;

/** Where `scripts/testenv.js up` keeps the environment: $TESTENV_DIR, else .testenv/. */
export function testEnvDir(): string {
  return process.env.TESTENV_DIR ?? join(REPO_ROOT, '.testenv');
}

/**
 * Reads .testenv/env.json (or $TESTENV_DIR/env.json). Throws with the remedy when the environment
 * is not up: run the tests through `npm run test:integration`, or `npm run testenv:up` first.
 */
export function loadTestEnv(): TestEnv {
  if (cached) return cached;
  const dir = testEnvDir();
  const file = join(dir, 'env.json');
  let vars: Record<string, string>;
  try {
    vars = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new Error(
      `no test environment (${file}: ${(err as Error).message}); ` +
        'run `npm run test:integration`, or `npm run testenv:up` before mocha',
      { cause: err },
    );
  }
  const need = (key: string): string => {
    const v = vars[key];
    if (!v) throw new Error(`${file} lacks ${key}; run \`npm run testenv:down && npm run testenv:up\``);
    return v;
  };
  cached = {
    kubeconfigPath: need('KUBECONFIG'),
    kubeApiUrl: need('TESTENV_KUBE_API_URL'),
    awsEndpoint: need('AWS_ENDPOINT_URL'),
    region: need('AWS_REGION'),
    credentials: { accessKeyId: need('AWS_ACCESS_KEY_ID'), secretAccessKey: need('AWS_SECRET_ACCESS_KEY') },
    ecsCluster: need('TESTENV_ECS_CLUSTER'),
    vpcId: need('TESTENV_VPC_ID'),
    subnetId: need('TESTENV_SUBNET_ID'),
    securityGroupId: need('TESTENV_SECURITY_GROUP_ID'),
    queueUrl: need('TESTENV_QUEUE_URL'),
    vars,
  };
  return cached;
}
