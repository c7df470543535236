// What the cluster-mode verbs (trigger, runs, suspend, resume, logs, backfill) share: kubectl's flags for
// choosing the cluster and namespace, a NAMESPACE/NAME or NAME argument, --help, and one place that
// turns a ClusterError into a message and exit code 1.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { cliKubeconfig } from '../config.js';
import type { CliIo, Command } from './cli-io.js';
import { ClusterError, type ClusterConnection, type Connect, type ResourceRef } from './cluster-client.js';

/** The flags every cluster verb takes, as their --help lists them. */
export const CLUSTER_FLAGS_HELP = `  -n, --namespace NS      namespace of NAME (default: the context's namespace, else default)
      --kubeconfig FILE   kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)
      --context NAME      kubeconfig context to use (default: the current context)
  -h, --help              print this help`;

const CLUSTER_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

export interface ClusterVerb {
  readonly name: string;
  readonly usage: string;
  /** Flags beyond the common ones. */
  readonly options?: ParseArgsOptionsConfig;
  /** Checks the verb's own flags before any connection is made; returns a usage error or nothing. */
  readonly checkFlags?: (values: FlagValues) => string | undefined;
  readonly run: (
    ref: ResourceRef,
    cluster: ClusterConnection,
    values: FlagValues,
    io: CliIo,
  ) => Promise<number>;
}

/** Thrown by a verb for bad usage found after parsing (exit 2 with the usage text). */
export class UsageError extends Error {}

export function clusterCommand(verb: ClusterVerb, connect: Connect): Command {
  return async (args, io) => {
    const fail = (message: string): number => {
      io.stderr(`${verb.name}: ${message}\n\n${verb.usage}`);
      return 2;
    };
    let values: FlagValues;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: [...args],
        options: { ...CLUSTER_OPTIONS, ...verb.options },
        strict: true,
        allowPositionals: true,
      }));
    } catch (error) {
      return fail((error as Error).message);
    }
    if (values.help) {
      io.stdout(verb.usage);
      return 0;
    }
    if (positionals.length !== 1) {
      return fail(
        positionals.length === 0
          ? 'give the resource as NAMESPACE/NAME or NAME'
          : `unexpected argument "${positionals[1]}"`,
      );
    }
    const flagError = verb.checkFlags?.(values);
    if (flagError) return fail(flagError);
    const arg = positionals[0] as string;
    const namespaceFlag = values.namespace as string | undefined;
    try {
      // The argument's shape is checked before any kubeconfig is read, so a typo is a usage error.
      resourceRef(arg, namespaceFlag, 'default');
    } catch (error) {
      if (error instanceof UsageError) return fail(error.message);
      throw error;
    }
    try {
      const cluster = connect({
        kubeconfig: (values.kubeconfig as string | undefined) ?? cliKubeconfig(io.env),
        context: values.context as string | undefined,
      });
      const ref = resourceRef(arg, namespaceFlag, cluster.defaultNamespace);
      return await verb.run(ref, cluster, values, io);
    } catch (error) {
      if (error instanceof UsageError) return fail(error.message);
      if (!(error instanceof ClusterError)) throw error;
      io.stderr(`${verb.name}: ${error.message}\n`);
      return 1;
    }
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** NAMESPACE/NAME, or NAME in -n (else the context's namespace). */
export function resourceRef(
  arg: string,
  namespaceFlag: string | undefined,
  defaultNamespace: string,
): ResourceRef {
  const parts = arg.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new UsageError(`"${arg}" is not NAMESPACE/NAME or NAME`);
  }
  const [namespace, name] =
    parts.length === 2 ? (parts as [string, string]) : [undefined, parts[0] as string];
  if (namespace !== undefined && namespaceFlag !== undefined && namespace !== namespaceFlag) {
    throw new UsageError(`"${arg}" names namespace "${namespace}" but -n says "${namespaceFlag}"`);
  }
  const ns = namespace ?? namespaceFlag ?? defaultNamespace;
  if (!DNS_LABEL.test(ns) || ns.length > 63) throw new UsageError(`"${ns}" is not a valid namespace name`);
  return { namespace: ns, name };
}
