// The CPU of the test environment's kube-apiserver and etcd over the window: at thousands of
// resources a minute they, not the controller, are what a 2-core machine runs out of, and the API
// server's CPU per write says what each status write costs the cluster.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testEnvDir } from '../test/integration/support/env.js';
import { procUsage } from './process-usage.js';

/** A figure for each peer that could be read: its pid, or its CPU seconds so far. */
export interface Peers<T> {
  readonly apiServer?: T;
  readonly etcd?: T;
}

export type PeerPids = Peers<number>;
export type PeerCpu = Peers<number>;

/** The pids `scripts/testenv.js up` recorded in state.json, by process name. */
export function parsePeerPids(state: string): PeerPids {
  const parsed = JSON.parse(state) as { processes?: { name?: string; pid?: number }[] };
  const pid = (name: string) => parsed.processes?.find((p) => p.name === name)?.pid;
  const apiServer = pid('kube-apiserver');
  const etcd = pid('etcd');
  return { ...(apiServer === undefined ? {} : { apiServer }), ...(etcd === undefined ? {} : { etcd }) };
}

export function peerPids(): PeerPids {
  try {
    return parsePeerPids(readFileSync(join(testEnvDir(), 'state.json'), 'utf8'));
  } catch {
    return {};
  }
}

/** CPU seconds so far of each peer that could be read. */
export async function peerCpu(pids: PeerPids): Promise<PeerCpu> {
  const [apiServer, etcd] = await Promise.all([procUsage(pids.apiServer), procUsage(pids.etcd)]);
  return {
    ...(apiServer === undefined ? {} : { apiServer: apiServer.cpu }),
    ...(etcd === undefined ? {} : { etcd: etcd.cpu }),
  };
}
