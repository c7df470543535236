// The metrics server and the health probes: /readyz says whether this replica can serve, /healthz
// whether it is stuck (see metrics/liveness.ts).
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { startHttpServer, type Readiness, type RunningHttpServer } from '../metrics/health-server.js';
import { liveness } from '../metrics/liveness.js';

export interface Probes {
  stopping(): boolean;
  synced(): boolean;
  leaseHealthy(): boolean;
  oldestReconcileMs(): number;
  /** How long the API server has said nothing, and the watchdog period; none in standalone mode. */
  silence(): { silentMs: number; watchdogMs: number } | undefined;
}

export class HttpServers {
  #running: RunningHttpServer | undefined;

  constructor(
    private readonly config: Config,
    private readonly registry: Registry,
    private readonly probes: Probes,
  ) {}

  get metricsPort(): number | undefined {
    return this.#running?.metricsPort;
  }

  get healthPort(): number | undefined {
    return this.#running?.healthPort;
  }

  async start(): Promise<void> {
    const { config, probes } = this;
    this.#running = await startHttpServer({
      metricsAddress: config.metricsBindAddress,
      healthAddress: config.healthProbeBindAddress,
      registry: this.registry,
      readiness: () => readiness(probes),
      liveness: () => {
        const silence = probes.silence();
        return liveness({
          oldestReconcileMs: probes.oldestReconcileMs(),
          stuckReconcileMs: config.stuckReconcileSeconds * 1000,
          informerSilentMs: silence?.silentMs,
          informerWatchdogMs: silence?.watchdogMs,
        });
      },
    });
  }

  async stop(): Promise<void> {
    await this.#running?.close();
  }
}

function readiness(probes: Probes): Readiness {
  if (probes.stopping()) return { ready: false, reason: 'shutting down' };
  if (!probes.synced()) return { ready: false, reason: 'cache not synced' };
  if (!probes.leaseHealthy()) return { ready: false, reason: 'the leader election Lease is unreachable' };
  return { ready: true };
}
