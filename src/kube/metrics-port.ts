// What the Kubernetes adapters report. Same shapes as the prom-client adapter in metrics/ exports
// (structural typing makes them compatible); kept here as ports so kube/ never imports prom-client.

export interface WatchMetrics {
  /** The watch stream ended and was started again; `reason` is closed | error | timeout | list_error. */
  restarted(reason: string): void;
  /** One watch event arrived: ADDED | MODIFIED | DELETED | BOOKMARK | ERROR. */
  event(type: string): void;
  /** The cache was rebuilt from a full list: initial | expired | watchdog. */
  relisted(reason: string): void;
}

export interface LeaderMetrics {
  setLeader(isLeader: boolean): void;
}

export const noopWatchMetrics: WatchMetrics = {
  restarted: () => undefined,
  event: () => undefined,
  relisted: () => undefined,
};

export const noopLeaderMetrics: LeaderMetrics = { setLeader: () => undefined };
