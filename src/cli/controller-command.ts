// `lanlb controller`: IPAM for LoadBalancer Services, pool and policy status, metrics and health.
// Every replica keeps warm caches; the replica holding the Lease `lanlb-controller` writes.
import { keepLeaseCopies } from '../kube/lease-copier.js';
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { processFlagHelp, processFlagSpec, readProcessFlags, UsageError } from './process-flags.js';
import { runLongRunning } from './long-running.js';
import { LeaseElector, validateTimings } from '../runtime/lease-elector.js';
import { waitForPreviousLeader } from '../runtime/previous-leader.js';
import { systemClock } from '../runtime/clock.js';
import { durationFlag } from './duration.js';
import { parseListenAddr } from '../observability/health-server.js';
import { WebhookServer } from '../webhook/server.js';
import { WEBHOOK_LIMITS } from '../http/bounded-http.js';
import type { PoolShape } from '../validate/pool-overlaps.js';
import { CertManager } from '../webhook/cert-manager.js';
import { keepMigrating } from '../kube/storage-migration.js';
import { ensureMemberlistSecret } from '../kube/memberlist-secret.js';
import { ensureNamespace } from '../kube/namespace.js';

import { DEFAULT_WORKERS, IpamController } from '../controller/ipam-controller.js';
import { kubeControllerSources } from '../kube/controller-sources.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { ControllerMetrics } from '../controller/metrics.js';
import { DEFAULT_LOAD_BALANCER_CLASS } from '../reconcile/annotations.js';

import { defaultElectorTimings, type ElectorTimings } from '../runtime/lease-elector.js';
import type { ProcessFlags } from './process-flags.js';
import type { Workload, WorkloadContext } from './long-running.js';
import { KubeLeaseStore } from '../kube/lease-store.js';

/**
 * Names the webhook certificate must carry: the Service's DNS names, any extra hosts, and the
 * host of --webhook-public-url (the apiserver checks the certificate against the URL it calls).
 */
export function webhookHosts(
  service: string,
  namespace: string,
  extra: readonly string[],
  publicUrl?: string,
): string[] {
  const hosts = [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, ...extra];
  const urlHost = publicUrl ? new URL(publicUrl).hostname.replace(/^\[|\]$/g, '') : undefined;
  return urlHost && !hosts.includes(urlHost) ? [...hosts, urlHost] : hosts;
}

export const CONTROLLER_DEFAULTS = { healthAddr: ':8081', metricsAddr: ':8080' };
export const DEFAULT_WEBHOOK_ADDR = ':9443';
export const CONTROLLER_LEASE = 'lanlb-controller';
export { DEFAULT_WORKERS };

const seconds = (ms: number): string => `${ms / 1000}s`;
const LEASE_DEFAULT = seconds(defaultElectorTimings.leaseDurationMs);
const RENEW_DEFAULT = seconds(defaultElectorTimings.renewDeadlineMs);
const RETRY_DEFAULT = seconds(defaultElectorTimings.retryPeriodMs);

export const controllerHelp = `Usage: lanlb controller [flags]

Assigns addresses from LoadBalancerIPPools to Services of type LoadBalancer (loadBalancerClass
unset or --load-balancer-class), writes pool and L2AnnouncementPolicy status, and records
Events. Replicas elect one leader through the Lease ${CONTROLLER_LEASE} in
--leader-election-namespace; only the leader writes, after replaying every Service's current
addresses. Serves /healthz, /readyz (caches synced) and /metrics; stops cleanly on SIGTERM.
${processFlagHelp(CONTROLLER_DEFAULTS)}
Controller:
  --identity NAME               this replica in the Lease (env POD_NAME; default the hostname)
  --load-balancer-class CLASS   Services of this class, and of none, are ours (default ${DEFAULT_LOAD_BALANCER_CLASS})
  --workers N                   concurrent reconciles (default ${DEFAULT_WORKERS})
Webhooks (HTTPS; certificate kept in the Secret lanlb-webhook-cert, CA injected, renewed
30 days before expiry):
  --webhook-addr ADDR           /convert and /validate (default ${DEFAULT_WEBHOOK_ADDR}; 0 disables)
  --webhook-service NAME        the Service in front of the webhook (default lanlb-webhook)
  --webhook-host NAME           an extra certificate name, repeatable
  --webhook-public-url URL      out of cluster: the apiserver calls this URL instead of the Service
Leader election (client-go's defaults; leaseDuration > renewDeadline > 1.2 x retryPeriod):
  --leader-election-namespace NS  where the Lease ${CONTROLLER_LEASE} lives (default --namespace);
                                the shipped manifests use lanlb-leader-election (announcers have
                                no rights there)
  --lease-duration DUR          how long a silent leader keeps the Lease (default ${LEASE_DEFAULT})
  --renew-deadline DUR          a leader that cannot renew this long steps down (default ${RENEW_DEFAULT})
  --retry-period DUR            how often to try to acquire or renew (default ${RETRY_DEFAULT})
`;

/** Everything the command line says, checked. */
interface ControllerFlags {
  process: ProcessFlags;
  identity: string;
  leaderNamespace: string;
  workers: number;
  loadBalancerClass: string;
  timings: ElectorTimings;
  webhookAddr: string;
  webhookHosts: string[];
  webhookPublicUrl: string | undefined;
}

const controllerFlagSpec = {
  ...processFlagSpec,
  identity: { type: 'string' },
  'load-balancer-class': { type: 'string' },
  workers: { type: 'string' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  'leader-election-namespace': { type: 'string' },
  'webhook-addr': { type: 'string' },
  'webhook-service': { type: 'string' },
  'webhook-host': { type: 'string', multiple: true },
  'webhook-public-url': { type: 'string' },
} as const;

function readControllerFlags(argv: string[]): ControllerFlags | 'help' {
  const { values } = parseArgs({ args: argv, strict: true, options: controllerFlagSpec });
  if (values.help) return 'help';
  const flags = readProcessFlags(values, CONTROLLER_DEFAULTS);
  const workers = Number(values.workers ?? DEFAULT_WORKERS);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError('--workers must be a positive integer');
  return {
    process: flags,
    identity: values.identity ?? process.env.POD_NAME ?? hostname(),
    leaderNamespace: values['leader-election-namespace'] ?? flags.namespace,
    workers,
    loadBalancerClass: values['load-balancer-class'] ?? DEFAULT_LOAD_BALANCER_CLASS,
    timings: readTimings(values),
    webhookAddr: values['webhook-addr'] ?? DEFAULT_WEBHOOK_ADDR,
    webhookHosts: webhookHosts(
      values['webhook-service'] ?? 'lanlb-webhook',
      flags.namespace,
      values['webhook-host'] ?? [],
      values['webhook-public-url'],
    ),
    webhookPublicUrl: values['webhook-public-url'],
  };
}

function readTimings(values: Record<string, unknown>): ElectorTimings {
  const d = defaultElectorTimings;
  const read = (flag: string, fallback: number): number => durationFlag(values, flag, fallback);
  const timings = {
    leaseDurationMs: read('lease-duration', d.leaseDurationMs),
    renewDeadlineMs: read('renew-deadline', d.renewDeadlineMs),
    retryPeriodMs: read('retry-period', d.retryPeriodMs),
  };
  try {
    validateTimings(timings);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return timings;
}

export async function controllerCommand(argv: string[]): Promise<number> {
  const flags = readControllerFlags(argv);
  if (flags === 'help') {
    console.log(controllerHelp);
    return 0;
  }
  parseListenAddr(flags.webhookAddr); // a bad address is a usage error before anything starts
  return runLongRunning('controller', flags.process, (ctx) => controllerWorkload(flags, ctx));
}

function controllerWorkload(flags: ControllerFlags, ctx: WorkloadContext): Workload {
  const { kc, http, log, registry } = ctx;
  const metrics = new ControllerMetrics(registry);
  const events = new KubeEventRecorder(http, 'lanlb-controller', flags.identity, log);
  const sources = kubeControllerSources(http, log);
  const controller = new IpamController({
    sources,
    status: http,
    events,
    metrics,
    log,
    clock: systemClock,
    loadBalancerClass: flags.loadBalancerClass,
    workers: flags.workers,
  });
  // Events trail allocations: they wait while reconciles are still streaming in.
  events.busy = () => controller.backlog > 0 || systemClock.now() - controller.lastReconcileAt < 250;
  const elector = controllerElector(flags, ctx, controller, events, metrics);
  const webhooks = webhookServing(flags, ctx, () => sources.pools.list());
  return {
    ready: () => controller.synced,
    async run(signal) {
      const { namespace } = flags.process;
      for (const ns of new Set([namespace, flags.leaderNamespace])) await ensureNamespace(kc, http, ns, log);
      await webhooks.start();
      const caches = await sources.start(signal);
      log.info('caches synced');
      await waitOutPreviousRelease(flags, ctx, signal);
      await elector.run(signal);
      await caches.done;
      await webhooks.stop();
    },
  };
}

/**
 * What a leader does besides IPAM: the heartbeat key, Service Leases' copies, and after a CRD
 * upgrade the storage migration.
 */
function startLeaderChores(
  flags: ControllerFlags,
  http: WorkloadContext['http'],
  log: WorkloadContext['log'],
  events: KubeEventRecorder,
  metrics: ControllerMetrics,
  signal: AbortSignal,
): void {
  ensureMemberlistSecret(http, flags.process.namespace, log).catch((err: unknown) =>
    log.warn('heartbeat key not ensured; will retry on next leadership', { error: err }),
  );
  // Service Leases' copies that their writer did not bring up to date (kube/lease-copier.ts).
  keepLeaseCopies({ http, log, namespace: flags.process.namespace }, signal).catch((err: unknown) =>
    log.error('lease copies stopped', { error: err }),
  );
  // After a CRD version upgrade: rewrite objects still stored in an old version.
  const warn = (crd: string, message: string) =>
    events.recordOn(
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd },
      'Warning',
      'StorageMigrationFailed',
      message,
    );
  keepMigrating({ http, log, clock: systemClock, metrics, warn }, signal).catch((err: unknown) =>
    log.error('storage migration stopped', { error: err }),
  );
}

/** The Lease elector whose leadership runs the controller (and the storage migration). */
function controllerElector(
  flags: ControllerFlags,
  { http, log }: WorkloadContext,
  controller: IpamController,
  events: KubeEventRecorder,
  metrics: ControllerMetrics,
): LeaseElector {
  let leading: Promise<void> = Promise.resolve();
  const { identity } = flags;
  const elector: LeaseElector = new LeaseElector({
    store: new KubeLeaseStore(http),
    namespace: flags.leaderNamespace,
    name: CONTROLLER_LEASE,
    identity,
    ...flags.timings,
    onStartedLeading: (signal) => {
      log.info('leading', { identity });
      metrics.isLeader.set(1);
      leading = controller
        .lead(signal, () => elector.holdsLeadership())
        .catch((err: unknown) => log.error('controller stopped', { error: err }));
      startLeaderChores(flags, http, log, events, metrics, signal);
    },
    onStoppedLeading: async () => {
      await leading;
      metrics.isLeader.set(0);
      await events.flush();
      log.info('stopped leading', { identity });
    },
    onNewLeader: (leader) => log.info('leader', { leader }),
    onError: (err) => log.warn('lease', { error: err }),
  });
  return elector;
}

/**
 * The conversion and validation webhooks with their certificate, renewed every 12 hours.
 * Without them the controller still works: status conditions carry the same reasons.
 */
function webhookServing(
  flags: ControllerFlags,
  { http, log }: WorkloadContext,
  pools: () => readonly PoolShape[],
): { start(): Promise<void>; stop(): Promise<void> } {
  const addr = parseListenAddr(flags.webhookAddr);
  if (!addr) return { start: async () => undefined, stop: async () => undefined };
  const webhook = new WebhookServer(log, WEBHOOK_LIMITS, pools);
  const certs = new CertManager({
    http,
    log,
    namespace: flags.process.namespace,
    hosts: flags.webhookHosts,
    publicUrl: flags.webhookPublicUrl,
  });
  // Serve first, then point the apiserver at us (inject the CA): in the other order the apiserver
  // may call a webhook that is not listening yet and refuse every pool and policy write.
  const useCertificate = async (): Promise<string> => {
    const bundle = await certs.ensure();
    webhook.useCertificate(bundle.cert, bundle.key);
    return bundle.caCert;
  };
  const refresh = async (): Promise<void> => certs.inject(await useCertificate());
  let rotation: NodeJS.Timeout | undefined;
  return {
    async start() {
      try {
        const caCert = await useCertificate();
        log.info('webhook serving', { address: await webhook.listen(addr.host, addr.port) });
        await certs.inject(caCert);
      } catch (err) {
        const off = 'webhooks not served; admission validation and v1alpha1 conversion are off';
        log.error(off, { address: flags.webhookAddr, error: err });
      }
      const renew = () => void refresh().catch((err: unknown) => log.warn('webhook certificate', { error: err }));
      rotation = setInterval(renew, 12 * 3600 * 1000);
      rotation.unref();
    },
    async stop() {
      clearInterval(rotation);
      await webhook.close();
    },
  };
}

/** The Lease moved namespace: a leader of the previous release may still lead in the old one. */
async function waitOutPreviousRelease(
  flags: ControllerFlags,
  { http, log }: WorkloadContext,
  signal: AbortSignal,
): Promise<void> {
  if (flags.leaderNamespace === flags.process.namespace) return;
  const outcome = await waitForPreviousLeader(
    {
      store: new KubeLeaseStore(http),
      namespace: flags.process.namespace,
      name: CONTROLLER_LEASE,
      ...flags.timings,
      clock: systemClock,
      onWaiting: (holder) => log.info("waiting for the previous release's leader to stop", { holder }),
    },
    signal,
  );
  log.debug('previous leader', { outcome });
}
