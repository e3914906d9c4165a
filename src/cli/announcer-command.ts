// `lanlb announcer`: the per-node layer-2 worker.
import { parseArgs } from 'node:util';
import {
  onHostIP,
  processFlagHelp,
  processFlagSpec,
  readProcessFlags,
  UsageError,
  type ProcessFlags,
} from './process-flags.js';
import { runLongRunning } from './long-running.js';
import { durationFlag } from './duration.js';
import { Announcer, DEFAULT_ANNOUNCER_TIMINGS, type AnnouncerTimings, type Link } from '../announcer/announcer.js';
import type { Workload, WorkloadContext } from './long-running.js';
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

const announcerFlagSpec = {
  ...processFlagSpec,
  'node-name': { type: 'string' },
  'heartbeat-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
} as const;

interface AnnouncerFlags {
  process: ProcessFlags;
  node: string;
  timings: AnnouncerTimings;
}

function readAnnouncerFlags(argv: string[]): AnnouncerFlags | 'help' {
  const { values } = parseArgs({ args: argv, strict: true, options: announcerFlagSpec });
  if (values.help) return 'help';
  const node = values['node-name'] ?? process.env.NODE_NAME;
  if (!node) throw new UsageError('--node-name or NODE_NAME is required');
  return { process: readProcessFlags(values, announcerDefaults()), node, timings: readAnnouncerTimings(values) };
}

function readAnnouncerTimings(values: Record<string, unknown>): AnnouncerTimings {
  const d = DEFAULT_ANNOUNCER_TIMINGS;
  const read = (flag: string, fallback: number): number => durationFlag(values, flag, fallback);
  const timings = {
    ...d,
    heartbeatDurationMs: read('heartbeat-duration', d.heartbeatDurationMs),
    renewDeadlineMs: read('renew-deadline', d.renewDeadlineMs),
    retryPeriodMs: read('retry-period', d.retryPeriodMs),
  };
  const { heartbeatDurationMs: leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timings;
  try {
    validateTimings({ leaseDurationMs, renewDeadlineMs, retryPeriodMs });
  } catch (err) {
    throw new UsageError((err as Error).message.replace('leaseDuration', 'heartbeat duration'));
  }
  return timings;
}

export async function announcerCommand(argv: string[]): Promise<number> {
  const flags = readAnnouncerFlags(argv);
  if (flags === 'help') {
    console.log(announcerHelp);
    return 0;
  }
  return runLongRunning('announcer', flags.process, (ctx) => announcerWorkload(flags, ctx));
}

/** The announcer on real adapters: informers, the Lease API, /sys and libpcap. */
async function announcerWorkload(
  flags: AnnouncerFlags,
  { kc, http, log, registry }: WorkloadContext,
): Promise<Workload> {
  const { namespace } = flags.process;
  log.info('node', { node: flags.node });
  await ensureNamespace(kc, http, namespace, log);
  const sources = kubeAnnouncerSources(http, namespace, await endpointSlicePath(http), log);
  const metrics = new AnnouncerMetrics(registry);
  const responders = (link: Link) =>
    new PcapResponder({
      iface: link.name,
      mac: link.mac,
      onError: (err) => log.warn('responder', { interface: link.name, error: err }),
      onCount: (what, family) => metrics.frames.inc({ kind: what, family: String(family), interface: link.name }),
    });
  const announcer = new Announcer({
    sources,
    leases: new KubeLeaseStore(http),
    log,
    node: flags.node,
    namespace,
    timings: flags.timings,
    metrics,
    events: new KubeEventRecorder(http, 'lanlb-announcer', flags.node, log),
    clock: systemClock,
    links: sysfsLinks,
    responders,
  });
  return {
    ready: () => announcer.synced,
    async run(signal) {
      const caches = await sources.start(signal);
      await announcer.run(signal);
      await caches.done;
    },
  };
}
