#!/usr/bin/env node
// The integration-test environment: a real etcd + kube-apiserver and moto (ECS, SQS, EC2), on free
// loopback ports, in the background, with state in .testenv/.
//
//   node scripts/testenv.js up       start (or reuse) and seed; writes .testenv/env.sh and env.json
//   node scripts/testenv.js down     stop what `up` started, by pid, and remove .testenv/
//   node scripts/testenv.js status   exit 0 when the environment is up and healthy, 1 otherwise
//   node scripts/testenv.js restart-apiserver [--down-ms N]
//                                    stop kube-apiserver, wait N ms, start it again on the same
//                                    port with the same flags; prints {stoppedMs,totalMs,pid}
//   node scripts/testenv.js restart-etcd [--down-ms N]
//                                    the same for etcd (same ports, same data dir)
//
// Plain ESM JavaScript on purpose: it runs before any TypeScript is built. Only node built-ins and
// packages that are already dependencies (yaml, @aws-sdk/client-ecs, @aws-sdk/client-sqs).
// with-testenv.js imports `up`, `down` and `PeerUnavailableError` from here.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { URLSearchParams, fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STATE_DIR = process.env.TESTENV_DIR ? resolve(process.env.TESTENV_DIR) : join(ROOT, '.testenv');
const CRD_FILES = [
  'ecsscheduledtasks.yaml',
  'ecsschedulerpolicies.yaml',
  'ecstaskbackfills.yaml',
  'ecsschedulecalendars.yaml',
].map((f) => join(ROOT, 'crds', f));
// The test cluster's admin trusts the namespaces the tests make (labelled by useTestNamespace) and
// `default`: with policy enforcement on by default, these let the controller run anything there.
// Policy tests use namespaces without the label, where only their own policies apply.
const ALLOW_ALL = {
  clusters: ['*'],
  taskDefinitions: ['*'],
  roles: ['*'],
  launchTypes: ['*'],
  capacityProviders: ['*'],
  subnets: ['*'],
  securityGroups: ['*'],
  queues: ['*'],
  assignPublicIp: true,
  enableExecuteCommand: true,
  overrides: {
    containers: [{ name: '*', command: true, environment: ['*'], environmentFiles: ['*'] }],
    resources: true,
    tags: ['*'],
    placement: true,
    platformVersions: ['*'],
  },
};
const SEED_POLICIES = [
  {
    name: 'testenv-test-namespaces',
    namespaceSelector: { matchLabels: { 'ecs-scheduler.dev/test': 'true' } },
  },
  {
    name: 'testenv-default',
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'default' } },
  },
];
const REGION = 'us-east-1';
const NAMESPACES = ['default', 'ecs-scheduler-system'];
const CLUSTER = 'default';
const QUEUE = 'consumer-task-queue';
const CONTAINER_INSTANCES = 8;
// Generous: a cold kube-apiserver on 2 busy cores needs 5-15 s; the CRD a second more.
const READY_TIMEOUT_MS = 90_000;

/** A peer (binaries, moto_server) cannot be had on this machine. with-testenv skips or fails on it. */
export class PeerUnavailableError extends Error {
  constructor(message) {
    super(message);
    this.name = 'PeerUnavailableError';
  }
}

const paths = {
  state: join(STATE_DIR, 'state.json'),
  envJson: join(STATE_DIR, 'env.json'),
  envSh: join(STATE_DIR, 'env.sh'),
  kubeconfig: join(STATE_DIR, 'kubeconfig'),
  lock: join(STATE_DIR, 'lock'),
  users: join(STATE_DIR, 'users'),
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function log(quiet, msg) {
  if (!quiet) process.stderr.write(`[testenv] ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// Processes

function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A zombie still answers signal 0; /proc tells them apart where it exists.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function startDetached(name, cmd, args) {
  const logFile = join(STATE_DIR, `${name}.log`);
  const fd = openSync(logFile, 'a');
  try {
    // detached: the child leads its own process group, so `down` can stop it with everything it
    // forked (moto's pyenv shim execs python, but kill the group to be sure).
    const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (!child.pid) throw new Error(`could not start ${cmd}`);
    // cmd and args are kept in state.json so that restart-apiserver can start it again as it was.
    return { name, pid: child.pid, log: logFile, cmd, args };
  } finally {
    closeSync(fd);
  }
}

async function stopProcess(proc) {
  const signal = (sig) => {
    try {
      process.kill(-proc.pid, sig);
    } catch {
      try {
        process.kill(proc.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(proc.pid)) return;
  signal('SIGTERM');
  for (let i = 0; i < 100 && isAlive(proc.pid); i++) await sleep(50);
  if (isAlive(proc.pid)) {
    signal('SIGKILL');
    for (let i = 0; i < 100 && isAlive(proc.pid); i++) await sleep(50);
  }
}

/** The kernel's ephemeral range: the ports it hands out to outgoing connections too. */
export function ephemeralPortRange() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535];
}

const LOWEST_PORT = 10000;

/**
 * Free loopback ports, all held at once so that they differ, picked below the kernel's ephemeral
 * range. A peer that a test restarts (etcd, the kube-apiserver) must find its port free again,
 * and while it is down a port in that range can be taken by any outgoing connection: a torture
 * run's etcd restart failed with EADDRINUSE that way, and the API server never came back.
 *
 * With `reserve` ({ stateDir, dir }), each port is also reserved machine-wide (reservePort), and a
 * port another live environment holds is skipped: a listen test alone cannot see a port whose
 * peer is down for a restart, and another environment starting then took it (EADDRINUSE on etcd's
 * port in a torture run). `random` is for tests.
 */
export async function freePorts(n, { reserve, random = Math.random } = {}) {
  const [low] = ephemeralPortRange();
  const listen = (port) =>
    new Promise((res) => {
      const s = createServer();
      s.once('error', () => res(undefined));
      s.listen(port, '127.0.0.1', () => res(s));
    });
  const close = (s) => new Promise((r) => s.close(r));
  const servers = [];
  for (let tries = 0; servers.length < n; tries++) {
    // Too narrow a range below the ephemeral one (or no luck): let the kernel pick, as before.
    const below = low - LOWEST_PORT > 1000 && tries < 1000;
    const s = await listen(below ? LOWEST_PORT + Math.floor(random() * (low - LOWEST_PORT)) : 0);
    if (!s) continue;
    if (reserve && !reservePort(s.address().port, reserve)) {
      await close(s);
      continue;
    }
    servers.push(s);
  }
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map(close));
  return ports;
}

// ---------------------------------------------------------------------------------------------
// Machine-wide port reservations: one file per port, shared by every environment on the machine
// (every worktree, every TESTENV_DIR), holding the owner's state dir and the pids that keep it
// alive (the process running `up`, then the environment's peers).

export const PORT_LOCK_DIR = join(tmpdir(), 'ecs-scheduler-testenv-ports');

function readPortLock(file) {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8'));
    return typeof holder?.stateDir === 'string' && Array.isArray(holder.pids) ? holder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reserves `port` for the environment in `stateDir` (created with O_EXCL, so two environments
 * never both get it). A reservation whose pids are all dead is stale and taken over; one whose
 * holder is alive (any pid: a peer being restarted is down, the others are not) is left alone.
 * Returns whether the port is now reserved for `stateDir`.
 */
export function reservePort(port, { stateDir = STATE_DIR, pids = [process.pid], dir = PORT_LOCK_DIR } = {}) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify({ stateDir, pids }), { flag: 'wx' });
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = readPortLock(file);
    if (holder === undefined) {
      // Unreadable: its owner is between creating and writing it, or died right there long ago.
      const age = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age < 5000) return false;
    } else if (holder.pids.some((pid) => isAlive(pid))) {
      return false;
    }
    rmSync(file, { force: true });
  }
  return false;
}

/** Rewrites the reservations of `ports` (already ours) with the pids that now keep them alive. */
export function holdPorts(ports, { stateDir = STATE_DIR, pids, dir = PORT_LOCK_DIR } = {}) {
  mkdirSync(dir, { recursive: true });
  for (const port of ports) {
    const file = join(dir, String(port));
    const holder = readPortLock(file);
    if (holder !== undefined && holder.stateDir !== stateDir && holder.pids.some((pid) => isAlive(pid)))
      continue;
    writeFileSync(file, JSON.stringify({ stateDir, pids }));
  }
}

/** Drops the reservations of `ports` that `stateDir` holds; others' are left alone. */
export function releasePorts(ports, { stateDir = STATE_DIR, dir = PORT_LOCK_DIR } = {}) {
  let released = 0;
  for (const port of ports) {
    const file = join(dir, String(port));
    if (readPortLock(file)?.stateDir !== stateDir) continue;
    rmSync(file, { force: true });
    released++;
  }
  return released;
}

/** The pids that keep an environment's ports: its peers, and this process while it sets them up. */
const holdingPids = (state) => [process.pid, ...(state.processes ?? []).map((p) => p.pid)];

function tail(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitFor(what, proc, probe, timeoutMs = READY_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (proc && !isAlive(proc.pid)) {
      throw new Error(`${what} exited during start-up; last lines of ${proc.log}:\n${tail(proc.log)}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastErr = err;
    }
    await sleep(100);
  }
  const detail = proc ? `\nlast lines of ${proc.log}:\n${tail(proc.log)}` : '';
  throw new Error(`timed out waiting for ${what}${lastErr ? ` (${lastErr.message})` : ''}${detail}`);
}

// ---------------------------------------------------------------------------------------------
// Peers

/** kube-apiserver and etcd through scripts/envtest-binaries (KUBEBUILDER_ASSETS, cache or build). */
function envtestBinaries(quiet) {
  const script = join(ROOT, 'scripts', 'envtest-binaries');
  return new Promise((res, rej) => {
    const child = spawn('bash', [script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    // Build progress is streamed (a first build takes minutes); the "no go" line is left to the
    // caller, which says it once, in its own words.
    child.stderr.setEncoding('utf8').on('data', (c) => {
      stderr += c;
      if (!quiet && !c.includes('go is not installed')) process.stderr.write(c);
    });
    child.on('error', rej);
    child.on('close', (code) => {
      const dir = stdout.trim().split('\n').pop();
      if (code === 3) {
        rej(
          new PeerUnavailableError(
            'no kube-apiserver/etcd: install Go 1.24+ (https://go.dev/dl/) to build them once, or set KUBEBUILDER_ASSETS to a directory holding both',
          ),
        );
      } else if (code !== 0 || !dir) {
        rej(
          new Error(
            `scripts/envtest-binaries failed (exit ${code}): ${stderr.trim().split('\n').slice(-5).join('\n')}`,
          ),
        );
      } else {
        res(dir);
      }
    });
  });
}

/**
 * moto_server through scripts/moto-venv: $TESTENV_MOTO_SERVER, or moto[server] at its pinned version
 * in a virtual environment in the cache, made on first use with python3 -m venv and pip.
 */
function motoServerCommand(quiet) {
  const script = join(ROOT, 'scripts', 'moto-venv');
  return new Promise((res, rej) => {
    const child = spawn('bash', [script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => {
      stderr += c;
      // Progress only: the "what to install" line is said once, in the error below.
      if (!quiet && /installing|installed in/.test(c)) process.stderr.write(c);
    });
    child.on('error', rej);
    child.on('close', (code) => {
      const cmd = stdout.trim().split('\n').pop();
      // Exit 3: moto cannot be had here; its last line says exactly what to install.
      if (code === 3) rej(new PeerUnavailableError(`no moto_server: ${lastLine(stderr)}`));
      else if (code !== 0 || !cmd)
        rej(new Error(`scripts/moto-venv failed (exit ${code}): ${lastLine(stderr)}`));
      else res(cmd);
    });
  });
}

const lastLine = (text) =>
  text
    .trim()
    .split('\n')
    .pop()
    ?.replace(/^\[moto-venv\] /, '') ?? '';

// ---------------------------------------------------------------------------------------------
// Kubernetes API, over node:https with the server's own CA (no kubectl needed here)

function kube(env, method, path, { body, contentType = 'application/json' } = {}) {
  const url = new URL(path, env.apiServerUrl);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((res, rej) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        ca: env.ca,
        timeout: 10_000,
        headers: {
          Authorization: `Bearer ${env.token}`,
          Accept: 'application/json',
          ...(payload === undefined ? {} : { 'Content-Type': contentType }),
        },
      },
      (resp) => {
        let text = '';
        resp.setEncoding('utf8');
        resp.on('data', (c) => (text += c));
        resp.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON (readyz) */
          }
          res({ status: resp.statusCode, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', rej);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

async function applyCrds(env) {
  for (const file of CRD_FILES) await applyCrd(env, file);
  for (const { name, namespaceSelector } of SEED_POLICIES) {
    const body = {
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsSchedulerPolicy',
      metadata: { name },
      spec: { namespaceSelector, ...ALLOW_ALL },
    };
    const r = await kube(
      env,
      'PATCH',
      `/apis/ecs-scheduler.dev/v1alpha1/ecsschedulerpolicies/${name}?fieldManager=ecs-scheduler-testenv&force=true`,
      { body, contentType: 'application/apply-patch+yaml' },
    );
    if (r.status !== 200 && r.status !== 201)
      throw new Error(`seeding EcsSchedulerPolicy ${name}: HTTP ${r.status} ${r.json?.message ?? r.text}`);
  }
}

async function applyCrd(env, file) {
  const text = readFileSync(file, 'utf8');
  const name = parseYaml(text).metadata.name;
  const r = await kube(
    env,
    'PATCH',
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=ecs-scheduler-testenv&force=true`,
    { body: text, contentType: 'application/apply-patch+yaml' },
  );
  if (r.status !== 200 && r.status !== 201) {
    throw new Error(`the API server rejected ${file} (HTTP ${r.status}): ${r.json?.message ?? r.text}`);
  }
  const generation = r.json.metadata.generation;
  await waitFor(`CRD ${name} Established`, undefined, async () => {
    const g = await kube(env, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    const conds = g.json?.status?.conditions ?? [];
    const ok = (type) => conds.some((c) => c.type === type && c.status === 'True');
    return g.json?.metadata?.generation === generation && ok('Established') && ok('NamesAccepted');
  });
  return name;
}

async function ensureNamespaces(env) {
  for (const name of NAMESPACES) {
    const r = await kube(env, 'POST', '/api/v1/namespaces', { body: { metadata: { name } } });
    if (r.status !== 201 && r.status !== 409) {
      throw new Error(`creating namespace ${name}: HTTP ${r.status} ${r.json?.message ?? r.text}`);
    }
  }
}

function kubeconfigYaml(env) {
  const ca = Buffer.from(env.ca).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
  - name: testenv
    cluster:
      server: ${env.apiServerUrl}
      certificate-authority-data: ${ca}
users:
  - name: testenv-admin
    user:
      token: ${env.token}
contexts:
  - name: testenv
    context: {cluster: testenv, user: testenv-admin, namespace: default}
current-context: testenv
`;
}

// ---------------------------------------------------------------------------------------------
// moto: ECS cluster, task definitions, VPC/subnet/SG for awsvpc, SQS queue

/**
 * One EC2 Query API call. @aws-sdk/client-ec2 is not a dependency; moto does not verify
 * signatures, but it routes on the credential scope of the Authorization header.
 */
async function ec2(endpoint, action, params) {
  const body = new URLSearchParams({ Action: action, Version: '2016-11-15', ...params });
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const resp = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/${day}/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`EC2 ${action} against moto: HTTP ${resp.status} ${text.slice(0, 300)}`);
  return text;
}

const xmlField = (xml, field) => {
  const m = new RegExp(`<${field}>([^<]+)</${field}>`).exec(xml);
  if (!m) throw new Error(`no <${field}> in moto's reply: ${xml.slice(0, 300)}`);
  return m[1];
};

/**
 * moto's own default for ECS tasks is one state per DescribeTasks call (RUNNING, DEACTIVATING,
 * STOPPING, DEPROVISIONING, STOPPED: the fourth describe sees STOPPED), which makes a test's outcome
 * depend on how often the code under test polls. The environment's baseline is instead: tasks stay
 * RUNNING until StopTask, or until a test sets a time transition (test/integration/support/aws.ts).
 */
export const ECS_TASK_BASELINE_TRANSITION = { progression: 'manual', times: 1_000_000_000 };

async function setEcsTaskTransition(endpoint, transition) {
  const resp = await fetch(`${endpoint}/moto-api/state-manager/set-transition`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model_name: 'ecs::task', transition }),
  });
  if (!resp.ok) throw new Error(`moto set-transition: HTTP ${resp.status} ${await resp.text()}`);
  await resp.arrayBuffer().catch(() => undefined);
}

async function seedAws(endpoint) {
  await setEcsTaskTransition(endpoint, ECS_TASK_BASELINE_TRANSITION);
  const [
    { ECSClient, CreateClusterCommand, RegisterContainerInstanceCommand, RegisterTaskDefinitionCommand },
    { SQSClient, CreateQueueCommand },
  ] = await Promise.all([import('@aws-sdk/client-ecs'), import('@aws-sdk/client-sqs')]);
  const cfg = {
    endpoint,
    region: REGION,
    maxAttempts: 1,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const ecs = new ECSClient(cfg);
  const sqs = new SQSClient(cfg);
  try {
    // moto needs container-level memory; the examples reference sleeper-task and sleeper-task:1.
    // EC2-launched tasks need container instances: moto answers RunTask with a 500 without one. moto
    // never gives back the memory of a stopped task, so register enough for a long session
    // (each holds 7482 MiB, 58 sleepers).
    // moto checks that the instance exists in EC2.
    const instancesXml = await ec2(endpoint, 'RunInstances', {
      ImageId: 'ami-12c6146b', // one of moto's built-in AMIs
      InstanceType: 't3.large',
      MinCount: String(CONTAINER_INSTANCES),
      MaxCount: String(CONTAINER_INSTANCES),
    });
    const containerInstances = [...instancesXml.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map(
      ([, instanceId]) =>
        new RegisterContainerInstanceCommand({
          cluster: CLUSTER,
          instanceIdentityDocument: JSON.stringify({ instanceId, region: REGION }),
        }),
    );
    if (containerInstances.length !== CONTAINER_INSTANCES) {
      throw new Error(
        `moto's RunInstances returned ${containerInstances.length} instances: ${instancesXml.slice(0, 300)}`,
      );
    }
    const sleeper = {
      name: 'sleeper',
      image: 'busybox',
      memory: 128,
      essential: true,
      command: ['sleep', '10'],
    };
    const [, , , queue] = await Promise.all([
      ecs
        .send(new CreateClusterCommand({ clusterName: CLUSTER }))
        .then(() => Promise.all(containerInstances.map((c) => ecs.send(c)))),
      ecs.send(
        new RegisterTaskDefinitionCommand({ family: 'sleeper-task', containerDefinitions: [sleeper] }),
      ),
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'sleeper-task-fargate',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [sleeper],
        }),
      ),
      sqs.send(new CreateQueueCommand({ QueueName: QUEUE })),
    ]);
    // awsvpc in moto needs a subnet and a security group in a VPC with DNS hostnames enabled.
    const vpcId = xmlField(await ec2(endpoint, 'CreateVpc', { CidrBlock: '10.10.0.0/16' }), 'vpcId');
    await ec2(endpoint, 'ModifyVpcAttribute', { VpcId: vpcId, 'EnableDnsHostnames.Value': 'true' });
    const [subnetXml, sgXml] = await Promise.all([
      ec2(endpoint, 'CreateSubnet', {
        VpcId: vpcId,
        CidrBlock: '10.10.1.0/24',
        AvailabilityZone: `${REGION}a`,
      }),
      ec2(endpoint, 'CreateSecurityGroup', {
        VpcId: vpcId,
        GroupName: 'ecs-scheduler-testenv',
        GroupDescription: 'ecs-scheduler integration tests',
      }),
    ]);
    return {
      TESTENV_ECS_CLUSTER: CLUSTER,
      TESTENV_ECS_CONTAINER_INSTANCES: String(CONTAINER_INSTANCES),
      TESTENV_VPC_ID: vpcId,
      TESTENV_SUBNET_ID: xmlField(subnetXml, 'subnetId'),
      TESTENV_SECURITY_GROUP_ID: xmlField(sgXml, 'groupId'),
      TESTENV_QUEUE_URL: queue.QueueUrl,
    };
  } finally {
    ecs.destroy();
    sqs.destroy();
  }
}

/**
 * moto answers: its dashboard page, a few KiB. Not /moto-api/data.json, a dump of everything moto
 * holds: after a test tier it is megabytes and takes longer than the timeout, and a reuse of the
 * environment then found it stale and tore it down under the tests still using it.
 */
export async function motoResponds(url) {
  const r = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2000) });
  await r.arrayBuffer();
  return r.ok;
}

// ---------------------------------------------------------------------------------------------
// State

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function connection(state) {
  return { apiServerUrl: state.apiServerUrl, token: state.token, ca: readFileSync(state.caFile, 'utf8') };
}

/**
 * Whether `state` describes a running, answering environment. Dead pids fail at once; a live
 * environment that does not answer is given `patienceMs` (a loaded machine, another run's burst)
 * before it is declared stale, since the caller then replaces it under whoever is using it.
 */
async function healthy(state, patienceMs = 0) {
  const alive = () => state?.processes?.length > 0 && state.processes.every((p) => isAlive(p.pid));
  if (!alive() || !existsSync(paths.envJson) || !existsSync(paths.kubeconfig)) return false;
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      const r = await kube(connection(state), 'GET', '/readyz');
      if (r.status === 200 && (await motoResponds(state.motoUrl))) return true;
    } catch {
      /* not answering (yet) */
    }
    if (Date.now() >= deadline || !alive()) return false;
    await sleep(500);
  }
}

/** Exclusive while held, so that two `up`s at once (two terminals, parallel CI steps) do not race. */
async function withLock(fn) {
  mkdirSync(STATE_DIR, { recursive: true });
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      writeFileSync(paths.lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let holder;
      try {
        holder = Number(readFileSync(paths.lock, 'utf8'));
      } catch {
        continue; // released meanwhile
      }
      // Empty: its holder is between creating and writing it (or died right there, long ago).
      if (!holder && Date.now() - statSync(paths.lock, { throwIfNoEntry: false })?.mtimeMs < 5000) {
        await sleep(50);
        continue;
      }
      if (!isAlive(holder)) {
        rmSync(paths.lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${paths.lock} is held by pid ${holder}`, { cause: err });
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(paths.lock, { force: true });
    try {
      rmdirSync(STATE_DIR); // only when empty: an `up` that found no peers leaves nothing behind
    } catch {
      /* not empty */
    }
  }
}

function writeEnvFiles(vars) {
  writeFileSync(paths.envJson, `${JSON.stringify(vars, null, 2)}\n`);
  const quote = (v) => `'${String(v).replaceAll("'", "'\\''")}'`;
  const lines = Object.entries(vars).map(([k, v]) => `export ${k}=${quote(v)}`);
  writeFileSync(
    paths.envSh,
    `# Written by scripts/testenv.js up. Use: source .testenv/env.sh\n${lines.join('\n')}\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// up / down

/**
 * Starts the environment, or reuses a healthy one. Returns { started, env, ms }: `started` is
 * false when it was already up, `env` the variables of env.json.
 */
export async function up({ quiet = false } = {}) {
  return withLock(async () => {
    const result = await upLocked(quiet);
    // Started or reused by hand: it stays up until `down`, whoever else uses it meanwhile.
    saveState({ ...result.state, autoStop: false });
    return result;
  });
}

/**
 * For scripts/with-testenv.js: up() plus a registration of the calling process as a user. When the
 * environment was started here (and `keep` is false), the last user's release() stops it; one
 * started by `testenv up` is never stopped by release().
 */
export async function acquire({ quiet = false, keep = false } = {}) {
  return withLock(async () => {
    const result = await upLocked(quiet);
    if (result.started) saveState({ ...result.state, autoStop: !keep });
    mkdirSync(paths.users, { recursive: true });
    writeFileSync(join(paths.users, String(process.pid)), '');
    return result;
  });
}

/** Unregisters the calling process; stops the environment if it is auto-stop and now unused. */
export async function release() {
  return withLock(async () => {
    rmSync(join(paths.users, String(process.pid)), { force: true });
    const state = readJson(paths.state);
    if (!state?.autoStop) return { stopped: false, users: liveUsers().length };
    const users = liveUsers();
    if (users.length > 0) return { stopped: false, users: users.length };
    await stopAll(state);
    rmSync(STATE_DIR, { recursive: true, force: true });
    return { stopped: true, users: 0 };
  });
}

function liveUsers() {
  let entries;
  try {
    entries = readdirSync(paths.users);
  } catch {
    return [];
  }
  return entries.filter((pid) => {
    if (isAlive(Number(pid))) return true;
    rmSync(join(paths.users, pid), { force: true }); // a user that died without releasing
    return false;
  });
}

function saveState(state) {
  writeFileSync(paths.state, `${JSON.stringify(state, null, 2)}\n`);
}

async function upLocked(quiet) {
  const t0 = performance.now();
  const previous = readJson(paths.state);
  if (previous && (await healthy(previous, 30_000))) {
    // The CRD may have been regenerated since: apply it again (cheap) so tests see the current one.
    await applyCrds(connection(previous));
    return { started: false, env: readJson(paths.envJson), ms: performance.now() - t0, state: previous };
  }
  if (previous) {
    log(quiet, 'found a stale environment: stopping it first');
    await stopAll(previous);
  }
  for (const f of ['state.json', 'env.json', 'env.sh', 'kubeconfig'])
    rmSync(join(STATE_DIR, f), { force: true });

  // moto first: a cached venv is instant, and a first build of the binaries is not.
  const moto = await motoServerCommand(quiet);
  const binDir = await envtestBinaries(quiet);
  const ports = await freePorts(4, { reserve: { stateDir: STATE_DIR } });
  const [etcdPort, etcdPeerPort, apiPort, motoPort] = ports;

  const state = {
    startedAt: new Date().toISOString(),
    binDir,
    apiServerUrl: `https://127.0.0.1:${apiPort}`,
    etcdUrl: `http://127.0.0.1:${etcdPort}`,
    motoUrl: `http://127.0.0.1:${motoPort}`,
    token: randomBytes(24).toString('hex'),
    caFile: join(STATE_DIR, 'apiserver-certs', 'apiserver.crt'),
    processes: [],
    ports,
  };
  // Written now, with each pid as it starts, so that `down` can clean up after a failed `up`.
  const save = () => {
    saveState(state);
    holdPorts(ports, { pids: holdingPids(state) });
  };
  try {
    for (const d of ['etcd', 'apiserver-certs']) rmSync(join(STATE_DIR, d), { recursive: true, force: true });
    mkdirSync(join(STATE_DIR, 'apiserver-certs'), { recursive: true });

    const etcd = startDetached('etcd', join(binDir, 'etcd'), [
      '--name=testenv',
      `--data-dir=${join(STATE_DIR, 'etcd')}`,
      `--listen-client-urls=${state.etcdUrl}`,
      `--advertise-client-urls=${state.etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=testenv=http://127.0.0.1:${etcdPeerPort}`,
      // Test data is thrown away: no fsync makes every write (and so every test) faster.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    state.processes.push(etcd);
    const motoProc = startDetached('moto', moto, ['-H', '127.0.0.1', '-p', String(motoPort)]);
    state.processes.push(motoProc);
    save();

    await waitFor('etcd', etcd, async () => {
      const r = await fetch(`${state.etcdUrl}/health`, { signal: AbortSignal.timeout(2000) });
      return r.ok && (await r.json()).health === 'true';
    });

    const saKey = join(STATE_DIR, 'sa.key');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    const tokens = join(STATE_DIR, 'tokens.csv');
    writeFileSync(tokens, `${state.token},testenv-admin,testenv-admin,"system:masters"\n`, { mode: 0o600 });

    const apiserver = startDetached('kube-apiserver', join(binDir, 'kube-apiserver'), [
      `--etcd-servers=${state.etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      // A serving certificate generated by the API server itself (for 127.0.0.1 and localhost).
      `--cert-dir=${join(STATE_DIR, 'apiserver-certs')}`,
      `--token-auth-file=${tokens}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      `--service-account-issuer=${state.apiServerUrl}`,
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      // No controller-manager creates service-account tokens here.
      '--disable-admission-plugins=ServiceAccount',
      '--v=1',
    ]);
    state.processes.push(apiserver);
    save();

    await waitFor('kube-apiserver certificate', apiserver, async () => existsSync(state.caFile));
    // The CA is read on each try: the first read may catch the file half-written.
    await waitFor(
      'kube-apiserver /readyz',
      apiserver,
      async () => (await kube(connection(state), 'GET', '/readyz')).status === 200,
    );
    const conn = connection(state);
    await waitFor('moto', motoProc, () => motoResponds(state.motoUrl));

    const [, , aws] = await Promise.all([applyCrds(conn), ensureNamespaces(conn), seedAws(state.motoUrl)]);

    writeFileSync(paths.kubeconfig, kubeconfigYaml(conn), { mode: 0o600 });
    writeEnvFiles({
      KUBECONFIG: paths.kubeconfig,
      AWS_ENDPOINT_URL: state.motoUrl,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      TESTENV_KUBE_API_URL: state.apiServerUrl,
      ...aws,
      TESTENV_DIR: STATE_DIR,
    });
    return { started: true, env: readJson(paths.envJson), ms: performance.now() - t0, state };
  } catch (err) {
    await stopAll(state);
    rmSync(paths.state, { force: true });
    throw err;
  }
}

async function stopAll(state) {
  // The API server first, so that it does not log etcd errors on its way out; moto and etcd after.
  const order = ['kube-apiserver', 'moto', 'etcd'];
  const procs = [...(state.processes ?? [])].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  for (const p of procs) await stopProcess(p);
  releasePorts(state.ports ?? []);
}

/** Stops everything `up` started, by pid, and removes the state. Returns how many were running. */
export async function down() {
  return withLock(async () => {
    const state = readJson(paths.state);
    const running = (state?.processes ?? []).filter((p) => isAlive(p.pid)).length;
    const users = liveUsers();
    if (users.length) process.stderr.write(`[testenv] stopping while in use by pid(s) ${users.join(', ')}\n`);
    if (state) await stopAll(state);
    const left = (state?.processes ?? []).filter((p) => isAlive(p.pid));
    if (left.length)
      throw new Error(`still running after SIGKILL: ${left.map((p) => `${p.name}(${p.pid})`).join(', ')}`);
    rmSync(STATE_DIR, { recursive: true, force: true });
    return running;
  });
}

export async function status() {
  return healthy(readJson(paths.state));
}

/**
 * Stops a peer (`kube-apiserver` or `etcd`) by pid (SIGTERM, then SIGKILL), keeps it down for
 * `downMs`, and starts it again on the same ports with the same flags, certificates and data dir,
 * so clients see an outage and then the same server. Resolves once kube-apiserver's /readyz answers
 * 200 again (after an etcd restart too), with how long the peer was down.
 */
export async function restartPeer(name, { downMs = 0, quiet = true } = {}) {
  if (name !== 'kube-apiserver' && name !== 'etcd')
    throw new Error(`cannot restart ${name}: kube-apiserver or etcd`);
  return withLock(async () => {
    const state = readJson(paths.state);
    // Only the peer and the API server matter here, not moto: its health answer (a dump of all its
    // data) takes seconds while a torture run keeps the machine busy.
    const index = state?.processes?.findIndex((p) => p.name === name) ?? -1;
    if (index < 0 || !isAlive(state.processes[index].pid)) {
      throw new Error(`no running ${name} in ${STATE_DIR}: run \`node scripts/testenv.js up\``);
    }
    const old = state.processes[index];
    if (!old?.cmd || !old.args) {
      throw new Error(`this environment was started before restarts existed: run \`down\` and \`up\` again`);
    }
    const t0 = performance.now();
    await stopProcess(old);
    if (isAlive(old.pid)) throw new Error(`${name} (pid ${old.pid}) did not stop`);
    const stoppedMs = performance.now() - t0;
    log(quiet, `${name} stopped in ${(stoppedMs / 1000).toFixed(1)}s`);
    if (downMs > 0) await sleep(downMs);
    const restarted = startDetached(name, old.cmd, old.args);
    state.processes[index] = restarted;
    saveState(state);
    holdPorts(state.ports ?? [], { pids: holdingPids(state) });
    if (name === 'etcd') {
      await waitFor('etcd /health after restart', restarted, async () => {
        const r = await fetch(`${state.etcdUrl}/health`, { signal: AbortSignal.timeout(2000) });
        return r.ok;
      });
    }
    const apiserver = state.processes.find((p) => p.name === 'kube-apiserver');
    await waitFor(
      `kube-apiserver /readyz after the ${name} restart`,
      apiserver,
      async () => (await kube(connection(state), 'GET', '/readyz')).status === 200,
    );
    const totalMs = performance.now() - t0;
    log(quiet, `${name} restarted; kube-apiserver ready again after ${(totalMs / 1000).toFixed(1)}s`);
    return { stoppedMs, totalMs, pid: restarted.pid };
  });
}

/** restartPeer('kube-apiserver'), kept for its callers. */
export function restartApiserver(options = {}) {
  return restartPeer('kube-apiserver', options);
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(argv) {
  const cmd = argv[0];
  const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
  switch (cmd) {
    case 'up': {
      const { started, env, ms, state } = await up();
      console.log(
        `testenv ${started ? 'started (cold)' : 'already up (warm)'} in ${secs(ms)}: kube-apiserver ${
          state.apiServerUrl
        }, moto ${state.motoUrl}; run: source ${join(STATE_DIR, 'env.sh').replace(`${ROOT}/`, '')}` +
          (env ? '' : ' (env.json missing?)'),
      );
      return 0;
    }
    case 'down': {
      const t0 = performance.now();
      const n = await down();
      console.log(
        `testenv down in ${secs(performance.now() - t0)}: stopped ${n} process(es), removed ${STATE_DIR}`,
      );
      return 0;
    }
    case 'status': {
      const ok = await status();
      console.log(ok ? 'testenv is up' : 'testenv is not up');
      return ok ? 0 : 1;
    }
    case 'restart-apiserver':
    case 'restart-etcd': {
      // --down-ms N keeps the peer down for N ms before starting it again.
      const at = argv.indexOf('--down-ms');
      const downMs = at >= 0 ? Number(argv[at + 1]) : 0;
      if (!Number.isFinite(downMs) || downMs < 0) {
        console.error(`usage: node scripts/testenv.js ${cmd} [--down-ms N]`);
        return 2;
      }
      const peer = cmd === 'restart-etcd' ? 'etcd' : 'kube-apiserver';
      const r = await restartPeer(peer, { downMs, quiet: false });
      console.log(
        JSON.stringify({ stoppedMs: Math.round(r.stoppedMs), totalMs: Math.round(r.totalMs), pid: r.pid }),
      );
      return 0;
    }
    default:
      console.error(
        'usage: node scripts/testenv.js up|down|status|restart-apiserver|restart-etcd [--down-ms N]',
      );
      return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(
        `testenv: ${err instanceof PeerUnavailableError ? 'peer unavailable: ' : ''}${err.message}`,
      );
      process.exit(err instanceof PeerUnavailableError ? 3 : 1);
    },
  );
}
