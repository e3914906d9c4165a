// `lanlb controller`: IPAM for LoadBalancer Services, pool and policy status, metrics and health.
// Every replica keeps warm caches; the replica holding the Lease `lanlb-controller` writes.
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { processFlagHelp, processFlagSpec, readProcessFlags, UsageError } from './process-flags.js';
import { runLongRunning } from './long-running.js';
import { KubeLeaseStore } from '../runtime/lease-store.js';
import { LeaseElector, validateTimings } from '../runtime/lease-elector.js';
import { waitForPreviousLeader } from '../runtime/previous-leader.js';
import { systemClock } from '../runtime/clock.js';
import { parseDuration } from './duration.js';
import { parseListenAddr } from '../observability/health-server.js';
import { WebhookServer } from '../webhook/server.js';
import { CertManager } from '../webhook/cert-manager.js';
import { migrateStorage } from '../controller/storage-migration.js';
import { ensureNamespace } from '../kube/namespace.js';

/** Names the webhook certificate must carry: the Service's DNS names, and any extra hosts. */
export function webhookHosts(service: string, namespace: string, extra: readonly string[]): string[] {
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, ...extra];
}
import { DEFAULT_WORKERS, IpamController } from '../controller/ipam-controller.js';
import { kubeControllerSources } from '../controller/kube-sources.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { ControllerMetrics } from '../controller/metrics.js';
import { DEFAULT_LOAD_BALANCER_CLASS } from '../controller/annotations.js';

export const CONTROLLER_DEFAULTS = { healthAddr: ':8081', metricsAddr: ':8080' };
export const CONTROLLER_LEASE = 'lanlb-controller';
export { DEFAULT_WORKERS };

export const controllerHelp = `Usage: lanlb controller [flags]

Assigns addresses from LoadBalancerIPPools to Services of type LoadBalancer (loadBalancerClass
unset or --load-balancer-class), writes pool and L2AnnouncementPolicy status, and records
Events. Replicas elect one leader through the Lease ${CONTROLLER_LEASE} in
--leader-election-namespace; only the leader writes, after replaying every Service's current addresses. Serves /healthz,
/readyz (caches synced) and /metrics; stops cleanly on SIGTERM.
${processFlagHelp(CONTROLLER_DEFAULTS)}
Controller:
  --identity NAME               this replica in the Lease (env POD_NAME; default the hostname)
  --load-balancer-class CLASS   Services of this class, and of none, are ours (default ${DEFAULT_LOAD_BALANCER_CLASS})
  --workers N                   concurrent reconciles (default ${DEFAULT_WORKERS})
Webhooks (HTTPS; certificate kept in the Secret lanlb-webhook-cert, CA injected, renewed
30 days before expiry):
  --webhook-addr ADDR           /convert and /validate (default :9443; 0 disables)
  --webhook-service NAME        the Service in front of the webhook (default lanlb-webhook)
  --webhook-host NAME           an extra certificate name, repeatable
  --webhook-public-url URL      out of cluster: the apiserver calls this URL instead of the Service
Leader election (client-go's defaults; leaseDuration > renewDeadline > 1.2 x retryPeriod):
  --leader-election-namespace NS  where the Lease ${CONTROLLER_LEASE} lives (default --namespace); the
                                shipped manifests use lanlb-leader-election, where announcers have no rights
  --lease-duration DUR          how long a silent leader keeps the Lease (default 15s)
  --renew-deadline DUR          a leader that cannot renew this long steps down (default 10s)
  --retry-period DUR            how often to try to acquire or renew (default 2s)
`;

export async function controllerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
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
    },
  });
  if (values.help) {
    console.log(controllerHelp);
    return 0;
  }
  const flags = readProcessFlags(values, CONTROLLER_DEFAULTS);
  const leaderNamespace = values['leader-election-namespace'] ?? flags.namespace;
  const identity = values.identity ?? process.env.POD_NAME ?? hostname();
  const workers = Number(values.workers ?? DEFAULT_WORKERS);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError('--workers must be a positive integer');
  const loadBalancerClass = values['load-balancer-class'] ?? DEFAULT_LOAD_BALANCER_CLASS;
  const webhookAddr = parseListenAddr(values['webhook-addr'] ?? ':9443');
  const timings = {
    leaseDurationMs: parseDuration(values['lease-duration'] ?? '15s', '--lease-duration'),
    renewDeadlineMs: parseDuration(values['renew-deadline'] ?? '10s', '--renew-deadline'),
    retryPeriodMs: parseDuration(values['retry-period'] ?? '2s', '--retry-period'),
  };
  try {
    validateTimings(timings);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  return runLongRunning('controller', flags, ({ kc, http, log, registry }) => {
    const metrics = new ControllerMetrics(registry);
    const events = new KubeEventRecorder(http, 'lanlb-controller', identity, log);
    const sources = kubeControllerSources(http, log);
    const controller = new IpamController({
      sources,
      status: http,
      events,
      metrics,
      log,
      clock: systemClock,
      loadBalancerClass,
      workers,
    });
    // Events trail allocations: they wait while reconciles are still streaming in.
    events.busy = () => controller.backlog > 0 || systemClock.now() - controller.lastReconcileAt < 250;
    let leading: Promise<void> = Promise.resolve();
    const elector = new LeaseElector({
      store: new KubeLeaseStore(http),
      namespace: leaderNamespace,
      name: CONTROLLER_LEASE,
      identity,
      ...timings,
      onStartedLeading: (signal) => {
        log.info('leading', { identity });
        metrics.isLeader.set(1);
        leading = controller.lead(signal).catch((err: unknown) => log.error('controller stopped', { error: err }));
        // After a CRD version upgrade: rewrite objects still stored in an old version.
        migrateStorage(http, log).catch((err: unknown) =>
          log.warn('storage migration failed; will retry on next leadership', { error: err }),
        );
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
    const webhook = webhookAddr ? new WebhookServer(log) : undefined;
    const certs = new CertManager({
      http,
      log,
      namespace: flags.namespace,
      hosts: webhookHosts(values['webhook-service'] ?? 'lanlb-webhook', flags.namespace, values['webhook-host'] ?? []),
      publicUrl: values['webhook-public-url'],
    });
    const refreshCertificate = async (): Promise<void> => {
      const bundle = await certs.ensure();
      webhook?.useCertificate(bundle.cert, bundle.key);
      await certs.inject(bundle.caCert);
    };
    return {
      ready: () => controller.synced,
      async run(signal) {
        for (const ns of new Set([flags.namespace, leaderNamespace])) await ensureNamespace(kc, http, ns, log);
        if (webhook && webhookAddr) {
          // Without webhooks the controller still works: status conditions carry the same reasons.
          try {
            await refreshCertificate();
            log.info('webhook serving', { address: await webhook.listen(webhookAddr.host, webhookAddr.port) });
          } catch (err) {
            log.error('webhooks not served; admission validation and v1alpha1 conversion are off', {
              address: values['webhook-addr'] ?? ':9443',
              error: err,
            });
          }
        }
        const rotation = setInterval(
          () => void refreshCertificate().catch((err: unknown) => log.warn('webhook certificate', { error: err })),
          12 * 3600 * 1000,
        );
        rotation.unref();
        const caches = await sources.start(signal);
        log.info('caches synced');
        if (leaderNamespace !== flags.namespace) {
          // The Lease moved namespace: a leader of the previous release may still lead there.
          const outcome = await waitForPreviousLeader(
            {
              store: new KubeLeaseStore(http),
              namespace: flags.namespace,
              name: CONTROLLER_LEASE,
              ...timings,
              clock: systemClock,
              onWaiting: (holder) => log.info("waiting for the previous release's leader to stop", { holder }),
            },
            signal,
          );
          log.debug('previous leader', { outcome });
        }
        await elector.run(signal);
        await caches.done;
        clearInterval(rotation);
        await webhook?.close();
      },
    };
  });
}
