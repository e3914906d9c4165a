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
import { Announcer } from '../announcer/announcer.js';
import type { Logger } from '../runtime/ports/logger.js';
import type { Workload, WorkloadContext } from './long-running.js';
import { kubeAnnouncerSources } from '../kube/announcer-sources.js';
import { systemClock } from '../runtime/clock.js';
import { sysfsLinks } from '../l2/responder/link.js';
import { AnswerThread, type ThreadedResponder } from '../l2/responder/answer-thread.js';
import { checkPcapPackage } from '../l2/responder/pcap-package.js';
import { AnnouncerMetrics } from '../announcer/metrics.js';
import { SecretKeySource } from '../kube/secret-key-source.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { ensureNamespace } from '../kube/namespace.js';
import { endpointSlicePath } from '../kube/startup.js';
import { KubeLeaseStore } from '../kube/lease-store.js';
import { CopyingLeaseStore, LeaseCopies } from '../kube/lease-copies.js';
import { DEFAULT_ANNOUNCER_TIMINGS, type AnnouncerTimings, type ResponderFactory } from '../announcer/options.js';

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
NA when it takes over. A node is eligible only while it can capture and send on a selected
interface with carrier; otherwise it holds nothing, /readyz fails with the reason, and it posts
a Warning Event L2Unavailable on its Node.
Liveness is judged on the wire: announcers exchange heartbeat frames (EtherType 0x88B5, HMAC-
SHA256 under Secret lanlb-memberlist) on the selected interfaces and probe a silent holder's VIP
before taking it over. Peers never heard on the wire are judged by a Kubernetes-side heartbeat
(Lease lanlb-node-<node>), written only by nodes a policy selects. A holder keeps answering
through apiserver outages. Serves /healthz, /readyz and /metrics; on SIGTERM it hands its
Services over at once.
${processFlagHelp(ANNOUNCER_DEFAULTS)}
Health and metrics listen on the node's own address when HOST_IP is set (the manifests set it
from status.hostIP), never on every interface of the host; a host in --health-addr or
--metrics-addr wins.
Node:
  --node-name NODE           the Node this announcer runs on (env NODE_NAME; required)
Failover:
  --heartbeat-interval D     heartbeat frames on the wire (default 100ms); a holder missing 3.5
                             intervals is probed (150ms) and replaced: crash takeover < 1s
  --node-lease-renew D       Kubernetes-side heartbeat renewal (default 10s, kubelet's rate)
  --node-lease-duration D    a peer never heard on the wire is gone after this long without a
                             renewal (default 40s)
Answers:
  --answer-realtime-priority N
                             schedule the thread that answers ARP / NDP SCHED_RR at N (1..99;
                             default: normal scheduling), so that a saturated node delays an
                             answer by a wake-up, not a time slice; needs CAP_SYS_NICE, else it
                             runs on at normal priority with a warning. A flood of requests for
                             its addresses then runs at that priority too (the kernel's RT
                             throttling bounds it), as the kernel's own ARP answers would
`;

const announcerFlagSpec = {
  ...processFlagSpec,
  'node-name': { type: 'string' },
  'heartbeat-interval': { type: 'string' },
  'node-lease-renew': { type: 'string' },
  'node-lease-duration': { type: 'string' },
  'answer-realtime-priority': { type: 'string' },
} as const;

interface AnnouncerFlags {
  process: ProcessFlags;
  node: string;
  timings: AnnouncerTimings;
  realtimePriority: number | undefined;
}

function readAnnouncerFlags(argv: string[]): AnnouncerFlags | 'help' {
  const { values } = parseArgs({ args: argv, strict: true, options: announcerFlagSpec });
  if (values.help) return 'help';
  const node = values['node-name'] ?? process.env.NODE_NAME;
  if (!node) throw new UsageError('--node-name or NODE_NAME is required');
  return {
    process: readProcessFlags(values, announcerDefaults()),
    node,
    timings: readAnnouncerTimings(values),
    realtimePriority: readRealtimePriority(values['answer-realtime-priority']),
  };
}

function readRealtimePriority(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > 99)
    throw new UsageError(`--answer-realtime-priority must be an integer within 1..99 (got ${flag})`);
  return n;
}

function readAnnouncerTimings(values: Record<string, unknown>): AnnouncerTimings {
  const d = DEFAULT_ANNOUNCER_TIMINGS;
  const read = (flag: string, fallback: number): number => durationFlag(values, flag, fallback);
  const intervalMs = read('heartbeat-interval', d.wire.intervalMs);
  const timings = {
    ...d,
    nodeLeaseRenewMs: read('node-lease-renew', d.nodeLeaseRenewMs),
    nodeLeaseDurationMs: read('node-lease-duration', d.nodeLeaseDurationMs),
    wire: { ...d.wire, intervalMs },
  };
  if (intervalMs < 10 || intervalMs > 1_000) throw new UsageError('--heartbeat-interval must be within 10ms..1s');
  if (timings.nodeLeaseDurationMs < 2 * timings.nodeLeaseRenewMs)
    throw new UsageError('--node-lease-duration must be at least twice --node-lease-renew');
  return timings;
}

/** Remembers an open responder until it is closed. */
function track(opened: Set<ThreadedResponder>, r: ThreadedResponder): ThreadedResponder {
  opened.add(r);
  const close = r.close.bind(r);
  r.close = async () => {
    opened.delete(r);
    await close();
  };
  return r;
}

/**
 * Tests break a holder's data path without killing it (the answer audit must notice): with
 * LANLB_TEST_FAULTS=1, SIGUSR2 toggles whether the responders answer requests. Off otherwise.
 */
function injectFaultsOnRequest(opened: Set<ThreadedResponder>, log: WorkloadContext['log']): void {
  if (process.env.LANLB_TEST_FAULTS !== '1') return;
  let mute = false;
  process.on('SIGUSR2', () => {
    mute = !mute;
    for (const r of opened) r.mute = mute;
    log.warn('fault injection: responders answer nothing', { mute });
  });
}

/** How long a stopping announcer waits for its Lease copies (the DaemonSet allows 30 s in all). */
const COPIES_ON_EXIT_MS = 5_000;

/** LANLB_TEST_FAULTS=1 with LANLB_TEST_COPY_DELAY_MS: every Lease copy write waits that long first. */
function testCopyDelayMs(): number {
  if (process.env.LANLB_TEST_FAULTS !== '1') return 0;
  const ms = Number(process.env.LANLB_TEST_COPY_DELAY_MS ?? 0);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

export async function announcerCommand(argv: string[]): Promise<number> {
  const flags = readAnnouncerFlags(argv);
  if (flags === 'help') {
    console.log(announcerHelp);
    return 0;
  }
  return runLongRunning('announcer', flags.process, (ctx) => announcerWorkload(flags, ctx));
}

/** The answer thread: captures, answers, announcements and heartbeat frames run in it. */
function startAnswerThread(flags: AnnouncerFlags, log: Logger, metrics: AnnouncerMetrics): AnswerThread {
  return new AnswerThread({
    onFatal: (err) => {
      log.error('answer thread died: nothing is answered any more; exiting so that peers take over', { error: err });
      process.exit(1);
    },
    onHeartbeatsSent: (n) => metrics.heartbeats.inc({ outcome: 'sent' }, n),
    ...(flags.realtimePriority !== undefined && { realtimePriority: flags.realtimePriority }),
    onPriority: (priority, refused) =>
      refused === undefined
        ? log.info('answer thread scheduled SCHED_RR', { priority })
        : log.warn('answer thread stays at normal priority: SCHED_RR refused (CAP_SYS_NICE?)', { priority, refused }),
  });
}

/** The responder factory the announcer takes: a capture in the answer thread per interface. */
function threadedResponders(answers: AnswerThread, log: Logger, metrics: AnnouncerMetrics): ResponderFactory {
  const opened = new Set<ThreadedResponder>();
  injectFaultsOnRequest(opened, log);
  return (link, onFrame) =>
    track(
      opened,
      answers.open({
        iface: link.name,
        mac: link.mac,
        onFrame,
        onError: (err) => log.warn('responder', { interface: link.name, error: err }),
        onCount: (what, family, n) =>
          metrics.frames.inc({ kind: what, family: String(family), interface: link.name }, n),
      }),
    );
}

/** The announcer on real adapters: informers, the Lease API, /sys and libpcap. */
async function announcerWorkload(
  flags: AnnouncerFlags,
  { kc, http, log, registry }: WorkloadContext,
): Promise<Workload> {
  const { namespace } = flags.process;
  log.info('node', { node: flags.node });
  await ensureNamespace(kc, http, namespace, log);
  const sources = kubeAnnouncerSources(http, namespace, await endpointSlicePath(http, log), log);
  const metrics = new AnnouncerMetrics(registry);
  const keys = new SecretKeySource(http, namespace, log);
  // Fail at start, saying why, when node_modules/pcap is not lanlb's package (packages/pcap); the
  // addon itself is checked where it loads, in the answer thread (a NAN addon loads in one thread).
  checkPcapPackage();
  const answers = startAnswerThread(flags, log, metrics);
  const responders = threadedResponders(answers, log, metrics);
  const copies = new LeaseCopies(http, log, undefined, testCopyDelayMs());
  const announcer = new Announcer({
    sources,
    leases: new CopyingLeaseStore(new KubeLeaseStore(http), copies),
    log,
    node: flags.node,
    namespace,
    timings: flags.timings,
    metrics,
    events: new KubeEventRecorder(http, 'lanlb-announcer', flags.node, log),
    clock: systemClock,
    links: sysfsLinks,
    responders,
    keys,
    heartbeats: answers,
  });
  return {
    ready: () => announcer.synced && announcer.unavailableReason === undefined,
    notReadyReason: () => announcer.unavailableReason,
    async run(signal) {
      await keys.start(signal);
      const caches = await sources.start(signal);
      try {
        await announcer.run(signal);
        // The hand-overs' copies are what the successors watch: written before the connection closes.
        if (!(await copies.settled(COPIES_ON_EXIT_MS))) log.warn('lease copies still unwritten at exit');
        await caches.done;
      } finally {
        await answers.close();
      }
    },
  };
}
