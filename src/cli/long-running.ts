// The lifecycle shared by `lanlb controller` and `lanlb announcer`: connect, serve health and
// metrics, run the workload until SIGTERM/SIGINT, then stop it and exit cleanly.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { KubeConfig } from '../kube/client-node.js';
import { KubeHttp } from '../kube/http.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { whenAnswered } from '../kube/startup.js';
import { HealthServer } from '../observability/health-server.js';
import { createLogger } from '../observability/logger.js';
import type { ProcessFlags } from './process-flags.js';
import type { Logger } from '../runtime/ports/logger.js';

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
  notReadyReason?(): string | undefined;
}

/** After SIGTERM, the workload gets this long to stop (the Pod's grace period is 30 s). */
export const STOP_DEADLINE_MS = 20_000;
/** After a clean stop, a handle still open (node_pcap keeps idle ones) may hold the process this long. */
const EXIT_GRACE_MS = 1_000;

/**
 * A truly unexpected error (a bug: every request and event is handled where it arrives) is
 * logged and ends the process with status 1, so that its Deployment or DaemonSet restarts it
 * in a known state instead of running on in an unknown one.
 */
function exitOnUnexpectedErrors(log: Logger): void {
  const fatal =
    (kind: string) =>
    (err: unknown): void => {
      log.error('unexpected error; exiting so that the process is restarted', {
        kind,
        error: err,
        stack: err instanceof Error ? err.stack : undefined,
      });
      process.exit(1);
    };
  process.on('uncaughtException', fatal('uncaughtException'));
  process.on('unhandledRejection', fatal('unhandledRejection'));
}

/** Timers that end the process if stopping hangs; unref'd so they never keep it alive. */
function exitAfter(ms: number, code: number, log: Logger, msg: string): void {
  setTimeout(() => {
    log.warn(msg, { afterMs: ms });
    process.exit(code);
  }, ms).unref();
}

/**
 * The registry both processes serve: Node.js's default metrics under their standard names
 * (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_*), so stock dashboards and
 * alerts find them as for any other Node.js process; lanlb's own metrics are added to it.
 */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client's three gauges named *_total break the naming rules (`promtool check metrics`
  // refuses them; prometheus/client_js#283, open): their sums are `sum without (type)` of the
  // gauges nodejs_active_handles / _requests / _resources, which stay.
  for (const name of REDUNDANT_TOTAL_GAUGES) registry.removeSingleMetric(name);
  return registry;
}

const REDUNDANT_TOTAL_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** /healthz, /readyz and /metrics of a workload; an address it cannot bind is logged, not fatal. */
async function serveHealth(
  flags: ProcessFlags,
  registry: Registry,
  workload: Workload,
  stopped: AbortSignal,
  log: Logger,
): Promise<HealthServer> {
  const health = new HealthServer({
    healthAddr: flags.healthAddr,
    metricsAddr: flags.metricsAddr,
    registry,
    checks: {
      healthy: () => !stopped.aborted,
      ready: () => workload.ready(),
      notReadyReason: () => workload.notReadyReason?.(),
    },
  });
  health.onListenError = (addr, err) =>
    log.error('cannot serve health/metrics; continuing without them', { address: addr, error: err });
  const bound = await health.start();
  log.info('serving', { addresses: bound });
  return health;
}

export async function runLongRunning(
  component: string,
  flags: ProcessFlags,
  build: (ctx: WorkloadContext) => Workload | Promise<Workload>,
): Promise<number> {
  const log = createLogger(flags.logLevel, { component });
  exitOnUnexpectedErrors(log);
  const kc = loadKubeConfig(flags.kubeconfig);
  const http = new KubeHttp(kc);
  const registry = processRegistry();
  const version = await whenAnswered('version', () => http.get<{ gitVersion?: string }>('/version'), log);
  log.info('connected', { server: kc.getCurrentCluster()?.server, version: version.gitVersion });

  const workload = await build({ kc, http, log, registry, flags });
  const stop = new AbortController();
  const health = await serveHealth(flags, registry, workload, stop.signal, log);

  const onSignal = (sig: NodeJS.Signals): void => {
    log.info('stopping', { signal: sig });
    exitAfter(STOP_DEADLINE_MS, 1, log, 'did not stop in time; exiting');
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
  exitAfter(EXIT_GRACE_MS, 0, log, 'a handle kept the process alive after it stopped; exiting');
  return 0;
}
