// `lanlb announcer`: the per-node layer-2 worker.
import { parseArgs } from 'node:util';
import { onHostIP, processFlagHelp, processFlagSpec, readProcessFlags, UsageError } from './process-flags.js';
import { runLongRunning } from './long-running.js';
import { parseDuration } from './duration.js';
import { Announcer, DEFAULT_ANNOUNCER_TIMINGS } from '../announcer/announcer.js';
import { kubeAnnouncerSources } from '../announcer/kube-sources.js';
import { KubeLeaseStore } from '../runtime/lease-store.js';
import { systemClock } from '../runtime/clock.js';
import { sysfsLinks } from '../l2/responder/link.js';
import { PcapResponder } from '../l2/responder/pcap-responder.js';
import { AnnouncerMetrics } from '../announcer/metrics.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { validateTimings } from '../runtime/lease-elector.js';
import type { KubeHttp } from '../kube/http.js';
import { ensureNamespace } from '../kube/namespace.js';

export const ANNOUNCER_DEFAULTS = { healthAddr: ':7473', metricsAddr: ':7472' };

/** The defaults on the node's own address when HOST_IP (Downward API status.hostIP) is set. */
export function announcerDefaults(env: NodeJS.ProcessEnv = process.env): typeof ANNOUNCER_DEFAULTS {
  return {
    healthAddr: onHostIP(ANNOUNCER_DEFAULTS.healthAddr, env.HOST_IP),
    metricsAddr: onHostIP(ANNOUNCER_DEFAULTS.metricsAddr, env.HOST_IP),
  };
}

export const announcerHelp = `Usage: lanlb announcer --node-name NODE [flags]

Runs on every node (DaemonSet, hostNetwork, NET_RAW). For each Service with addresses that an
L2AnnouncementPolicy selects, the eligible nodes compete for the Lease
lanlb-l2-<namespace>.<name> in --namespace; the holder answers ARP and Neighbor Solicitation
for the Service's addresses on the policy's interfaces, and sends gratuitous ARP / unsolicited
NA when it takes over. Each node renews one heartbeat Lease (lanlb-node-<node>) that backs all
the Service Leases it holds, so API traffic does not grow with the number of Services.
Serves /healthz, /readyz and /metrics; on SIGTERM it hands its Services over at once.
${processFlagHelp(ANNOUNCER_DEFAULTS)}
Health and metrics listen on the node's own address when HOST_IP is set (the manifests set it
from status.hostIP), never on every interface of the host; a host in --health-addr or
--metrics-addr wins.
Node:
  --node-name NODE        the Node this announcer runs on (env NODE_NAME; required)
Failover (heartbeat > renew deadline > 1.2 x retry period):
  --heartbeat-duration D  a holder silent this long is replaced (default 2s: crash takeover <= ~2.5s)
  --renew-deadline D      a holder that cannot renew this long stops answering (default 1500ms)
  --retry-period D        heartbeat renewal interval (default 500ms; requests/s = nodes / period)
  Shorter times fail over faster and cost proportionally more heartbeat writes.
`;

async function endpointSlicePath(http: KubeHttp): Promise<string> {
  try {
    await http.get('/apis/discovery.k8s.io/v1');
    return '/apis/discovery.k8s.io/v1/endpointslices';
  } catch {
    return '/apis/discovery.k8s.io/v1beta1/endpointslices'; // Kubernetes < 1.21
  }
}

export async function announcerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...processFlagSpec,
      'node-name': { type: 'string' },
      'heartbeat-duration': { type: 'string' },
      'renew-deadline': { type: 'string' },
      'retry-period': { type: 'string' },
    },
  });
  if (values.help) {
    console.log(announcerHelp);
    return 0;
  }
  const flags = readProcessFlags(values, announcerDefaults());
  const nodeName = values['node-name'] ?? process.env.NODE_NAME;
  if (!nodeName) throw new UsageError('--node-name or NODE_NAME is required');
  const d = DEFAULT_ANNOUNCER_TIMINGS;
  const timings = {
    ...d,
    heartbeatDurationMs: values['heartbeat-duration']
      ? parseDuration(values['heartbeat-duration'], '--heartbeat-duration')
      : d.heartbeatDurationMs,
    renewDeadlineMs: values['renew-deadline']
      ? parseDuration(values['renew-deadline'], '--renew-deadline')
      : d.renewDeadlineMs,
    retryPeriodMs: values['retry-period'] ? parseDuration(values['retry-period'], '--retry-period') : d.retryPeriodMs,
  };
  try {
    validateTimings({
      leaseDurationMs: timings.heartbeatDurationMs,
      renewDeadlineMs: timings.renewDeadlineMs,
      retryPeriodMs: timings.retryPeriodMs,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace('leaseDuration', 'heartbeat duration'));
  }
  return runLongRunning('announcer', flags, async ({ kc, http, log, registry }) => {
    log.info('node', { node: nodeName });
    await ensureNamespace(kc, http, flags.namespace, log);
    const sources = kubeAnnouncerSources(http, flags.namespace, await endpointSlicePath(http), log);
    const metrics = new AnnouncerMetrics(registry);
    const announcer = new Announcer({
      sources,
      leases: new KubeLeaseStore(http),
      log,
      node: nodeName,
      namespace: flags.namespace,
      timings,
      events: new KubeEventRecorder(http, 'lanlb-announcer', nodeName, log),
      metrics,
      clock: systemClock,
      links: sysfsLinks,
      responders: (link) =>
        new PcapResponder({
          iface: link.name,
          mac: link.mac,
          onError: (err) => log.warn('responder', { interface: link.name, error: err }),
          onCount: (what, family) => metrics.frames.inc({ kind: what, family: String(family), interface: link.name }),
        }),
    });
    return {
      ready: () => announcer.synced,
      async run(signal) {
        const caches = await sources.start(signal);
        await announcer.run(signal);
        await caches.done;
      },
    };
  });
}
