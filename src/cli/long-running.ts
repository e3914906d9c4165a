// The lifecycle shared by `lanlb controller` and `lanlb announcer`: connect, serve health and
// metrics, run the workload until SIGTERM/SIGINT, then stop it and exit cleanly.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeHttp } from '../kube/http.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { HealthServer } from '../observability/health-server.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { ProcessFlags } from './process-flags.js';

export interface WorkloadContext {
  kc: KubeConfig;
  http: KubeHttp;
  log: Logger;
  registry: Registry;
  flags: ProcessFlags;
}

export interface Workload {
  /** Runs until `signal` aborts; resolves after cleaning up. */
  run(signal: AbortSignal): Promise<void>;
  ready(): boolean;
}

export async function runLongRunning(
  component: string,
  flags: ProcessFlags,
  build: (ctx: WorkloadContext) => Workload | Promise<Workload>,
): Promise<number> {
  const log = createLogger(flags.logLevel, { component });
  const kc = loadKubeConfig(flags.kubeconfig);
  const http = new KubeHttp(kc);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lanlb_' });
  const version = await http.get<{ gitVersion?: string }>('/version');
  log.info('connected', { server: kc.getCurrentCluster()?.server, version: version.gitVersion });

  const workload = await build({ kc, http, log, registry, flags });
  const stop = new AbortController();
  const health = new HealthServer({
    healthAddr: flags.healthAddr, metricsAddr: flags.metricsAddr, registry,
    checks: { healthy: () => !stop.signal.aborted, ready: () => workload.ready() },
  });
  health.onListenError = (addr, err) => log.error('cannot serve health/metrics; continuing without them', { address: addr, error: err });
  const bound = await health.start();
  log.info('serving', { addresses: bound });

  const onSignal = (sig: NodeJS.Signals): void => {
    log.info('stopping', { signal: sig });
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await workload.run(stop.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await health.close();
    http.close();
  }
  log.info('stopped');
  return 0;
}
