// `lanlb lab`: lanlb on its embedded default, on one machine. A real kube-apiserver and etcd,
// the controller, three simulated nodes in network namespaces each running the announcer, and a
// client namespace that resolves the Service's address with real ARP. Needs root (namespaces).
import { serviceLeaseName } from '../l2/election/lease-names.js';
import { parseArgs } from 'node:util';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ControlPlane, apiserverBinary } from '../devcluster/control-plane.js';
import { NetnsLab, ip, nodeEntry, nodeKubeconfig } from '../devcluster/netns-lab.js';
import { trackChild, stopProcess } from '../devcluster/child-process.js';
import { KubeHttp } from '../kube/http.js';
import { freePort } from '../devcluster/free-port.js';
import { pollFor } from '../devcluster/poll.js';
import { installCrds } from '../kube/crd-install.js';
import { createFromYaml } from '../kube/apply.js';
import { readStatus } from '../cli/status-command.js';
import { renderStatus } from '../status/render.js';

const execFileP = promisify(execFile);
const root = join(fileURLToPath(import.meta.url), '..', '..', '..', ...(import.meta.url.endsWith('.ts') ? [] : ['..']));
const PREFIX = 'lanlb-lab-';

export const labHelp = `Usage: lanlb lab [--failover] [--apiserver-outage] [--exit]

Runs lanlb on one machine: a real kube-apiserver 1.20 and etcd, \`lanlb controller\`, three
simulated nodes (network namespaces ${PREFIX}node1..3 on a bridge) each running
\`lanlb announcer\`, and a client namespace. Applies config/samples/lab.yaml (a pool, a policy
for node1 and node2, a Service), then shows the pools, the Service's EXTERNAL-IP, the Lease
holder and the MAC that answers the client's ARP request. Runs until Ctrl-C and removes
everything it made. Needs root; builds kube-apiserver once if it is not cached.

  --failover          kill the holder (SIGKILL) and print how long the takeover took
  --apiserver-outage  freeze kube-apiserver (SIGSTOP) for 30 s while the client asks for the VIP
                      every 100 ms, and print how many asks went unanswered (lanlb: none)
  --exit              stop after printing instead of waiting for Ctrl-C
`;

const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

async function removeLeftovers(): Promise<void> {
  const list = await ip('netns', 'list');
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    if (name?.startsWith(PREFIX)) await ip('netns', 'del', name).catch(() => undefined);
  }
}

async function ensureApiserver(): Promise<void> {
  if (existsSync(apiserverBinary())) return;
  say("kube-apiserver is not cached yet: building it once from Debian's source package (about 4 minutes)...");
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [join(root, 'hack', 'build-apiserver.sh')], { stdio: 'inherit' });
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`hack/build-apiserver.sh exited with ${code}`)),
    );
  });
}

interface RunningLab {
  http: KubeHttp;
  kubeconfig: string;
  kubectl: (...args: string[]) => Promise<string>;
  lab: NetnsLab;
}

function labFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      failover: { type: 'boolean' },
      'apiserver-outage': { type: 'boolean' },
      exit: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

export async function labCommand(argv: string[]): Promise<number> {
  const values = labFlags(argv);
  if (values.help) {
    say(labHelp);
    return 0;
  }
  if (process.getuid?.() !== 0) throw new Error('the lab creates network namespaces: run it as root');
  await ensureApiserver();
  await removeLeftovers();
  const cp = new ControlPlane();
  const stopAll = new AbortController();
  const onSignal = (): void => stopAll.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const children: ReturnType<typeof spawn>[] = [];
  let lab: NetnsLab | undefined;
  try {
    say('starting etcd and kube-apiserver 1.20.2 ...');
    await cp.start();
    const running = await startLab(cp);
    lab = running.lab;
    const announcers = await startProcesses(cp, running, children);
    await waitForWebhookInjection(running.http);
    await demonstrate(cp, running, announcers, values);
    if (!values.exit) {
      say('Running; Ctrl-C stops everything and removes the namespaces.');
      await new Promise<void>((r) => stopAll.signal.addEventListener('abort', () => r(), { once: true }));
    }
    running.http.close();
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const c of children) await stopProcess(c, 5_000);
    await lab?.destroy();
    await cp.stop();
    say('lab stopped: processes ended, namespaces removed');
  }
}

/** What the lab shows: the state, then the outage and the failover when asked for. */
async function demonstrate(
  cp: ControlPlane,
  running: RunningLab,
  announcers: Map<string, ReturnType<typeof spawn>>,
  values: ReturnType<typeof labFlags>,
): Promise<void> {
  const shown = await showState(running);
  if (values['apiserver-outage']) await showApiserverOutage(cp, running, shown);
  if (values.failover) await showFailover(running, announcers, shown);
  say(`\nPoint kubectl at the lab:  export KUBECONFIG=${running.kubeconfig}`);
  say(`Ask from the client:       ip netns exec ${running.lab.client} arping -c 3 ${shown.vip}`);
}

/** CRDs, the operator namespace, the namespace LAN and its nodes. */
async function startLab(cp: ControlPlane): Promise<RunningLab> {
  const http = new KubeHttp(cp.kubeConfig());
  const kubeconfig = cp.writeKubeconfig();
  const kubectl = async (...args: string[]) =>
    (await execFileP('kubectl', ['--kubeconfig', kubeconfig, ...args])).stdout.trimEnd();
  await installCrds(http);
  await http.post('/api/v1/namespaces', { metadata: { name: 'lanlb-system' } });
  const lab = new NetnsLab({ prefix: PREFIX, nodes: 3, dir: cp.dataDir, apiserverPort: cp.apiserverPort });
  await lab.create();
  for (const n of lab.nodes) {
    await http.post('/api/v1/nodes', { metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } } });
  }
  return { http, kubeconfig, kubectl, lab };
}

/** The controller (serving its webhooks for real) and an announcer in every node namespace. */
async function startProcesses(
  cp: ControlPlane,
  { http, kubeconfig, lab }: RunningLab,
  children: Array<ReturnType<typeof spawn>>,
): Promise<Map<string, ReturnType<typeof spawn>>> {
  const webhookPort = await freePort();
  await createFromYaml(http, readFileSync(join(root, 'config', 'webhook', 'validating-webhook.yaml'), 'utf8'));
  const endpoints = ['--health-addr', '0', '--metrics-addr', '0'];
  const webhook = [
    '--webhook-addr',
    `127.0.0.1:${webhookPort}`,
    '--webhook-public-url',
    `https://127.0.0.1:${webhookPort}`,
  ];
  const controllerArgs = [
    ...nodeEntry('src/cli/entry.ts'),
    'controller',
    '--kubeconfig',
    kubeconfig,
    ...endpoints,
    ...webhook,
  ];
  const controller = spawn(process.execPath, controllerArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(controller);
  children.push(controller);
  const nodeKc = nodeKubeconfig(cp);
  const announcer = (node: string) => [
    ...nodeEntry('src/cli/entry.ts'),
    'announcer',
    '--node-name',
    node,
    '--kubeconfig',
    nodeKc,
    ...endpoints,
  ];
  const announcers = new Map(lab.nodes.map((n) => [n.name, lab.spawnIn(n.netns, process.execPath, announcer(n.name))]));
  say(`started the controller and announcers on ${lab.nodes.map((n) => `${n.name} (${n.mac})`).join(', ')}`);
  return announcers;
}

/** The validating webhook refuses everything until the controller has pointed it at itself. */
async function waitForWebhookInjection(http: KubeHttp): Promise<void> {
  const path = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/lanlb-validating-webhook';
  await pollFor(
    async () => {
      const vwc = await http.get<{ webhooks?: Array<{ clientConfig?: { url?: string; caBundle?: string } }> }>(path);
      const cc = vwc.webhooks?.[0]?.clientConfig;
      return cc?.url && cc.caBundle ? true : undefined;
    },
    60_000,
    'webhook injection',
    100,
  );
}

/** Applies the sample and shows pools, policies, the Service, the Leases and the ARP answer. */
async function showState({ http, kubectl, lab }: RunningLab): Promise<{ vip: string; holder: string; answer: string }> {
  const created = await createFromYaml(http, readFileSync(join(root, 'config', 'samples', 'lab.yaml'), 'utf8'));
  say(`applied config/samples/lab.yaml: ${created.join(', ')}`);
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases/${serviceLeaseName('demo', 'web')}`;
  const holder = await pollFor(
    async () =>
      (await http.get<{ spec: { holderIdentity?: string } }>(leasePath).catch(() => undefined))?.spec.holderIdentity ||
      undefined,
    30_000,
    'a Lease holder',
    100,
  );
  const vip = (
    await kubectl('get', 'service', '-n', 'demo', 'web', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')
  ).trim();
  const answer = await pollFor(async () => (await lab.arpAnswers(vip, 1, 1))[0], 15_000, 'an ARP answer', 100);
  say(`\n$ kubectl get pools\n${await kubectl('get', 'pools')}`);
  say(`\n$ kubectl get l2p\n${await kubectl('get', 'l2p')}`);
  say(`\n$ kubectl -n demo get service web\n${await kubectl('get', 'service', '-n', 'demo', 'web')}`);
  say(`\n$ kubectl -n lanlb-system get lease\n${await kubectl('get', 'lease', '-n', 'lanlb-system')}`);
  const at = lab.nodes.find((n) => n.mac === answer)?.name ?? 'unknown';
  say(`\n$ ip netns exec ${lab.client} arping -c 1 ${vip}\n${vip} is at ${answer} (${at}; Lease holder: ${holder})`);
  await showStatus(http);
  return { vip, holder, answer };
}

/** What `lanlb status -n demo` (or `kubectl lanlb status -n demo`) prints for the lab. */
async function showStatus(http: KubeHttp): Promise<void> {
  const report = await readStatus(http, {
    namespace: 'demo',
    lanlbNamespace: 'lanlb-system',
    loadBalancerClass: 'lanlb.io/l2',
  });
  say(`\n$ lanlb status -n demo        # also: kubectl lanlb status -n demo\n${renderStatus(report)}`);
}

/** Kills the holder's announcer and shows how long the client took to see another MAC. */
async function showFailover(
  { http, kubectl, lab }: RunningLab,
  announcers: Map<string, ReturnType<typeof spawn>>,
  { vip, holder, answer }: { vip: string; holder: string; answer: string },
): Promise<void> {
  const t0 = performance.now();
  announcers.get(holder)?.kill('SIGKILL');
  say(`\nkilled the announcer on ${holder} (SIGKILL) ...`);
  const next = await pollFor(
    async () => {
      const mac = (await lab.arpAnswers(vip, 1, 0.2))[0];
      return mac && mac !== answer ? mac : undefined;
    },
    15_000,
    'the takeover',
    100,
  );
  const took = (performance.now() - t0) / 1000;
  say(`${vip} is now at ${next} (${lab.nodes.find((n) => n.mac === next)?.name}): takeover took ${took.toFixed(2)} s`);
  await showTakeoverStory(http, kubectl, holder);
}

/**
 * The Events that tell the takeover (the new holder's L2Announcing, an AnnouncementMismatch when a
 * peer found the old holder dark), once the new holder has written its Lease, then the status.
 */
async function showTakeoverStory(http: KubeHttp, kubectl: RunningLab['kubectl'], killed: string): Promise<void> {
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases/${serviceLeaseName('demo', 'web')}`;
  await pollFor(
    async () => {
      const lease = await http.get<{ spec: { holderIdentity?: string } }>(leasePath).catch(() => undefined);
      const h = lease?.spec.holderIdentity;
      return h && h !== killed ? h : undefined;
    },
    30_000,
    'the new holder in the Lease',
    100,
  );
  const columns = 'custom-columns=LAST SEEN:.lastTimestamp,TYPE:.type,REASON:.reason,MESSAGE:.message';
  const args = ['get', 'events', '-n', 'demo', '--field-selector', 'involvedObject.name=web'];
  const events = await kubectl(...args, '--sort-by=.lastTimestamp', '-o', columns);
  say(`\n$ kubectl -n demo get events --field-selector involvedObject.name=web\n${events}`);
  await showStatus(http);
}

/** Freezes kube-apiserver for 30 s while the client asks for the VIP every 100 ms. */
async function showApiserverOutage(cp: ControlPlane, { lab }: RunningLab, { vip }: { vip: string }): Promise<void> {
  const seconds = 30;
  say(`\nfreezing kube-apiserver (SIGSTOP) for ${seconds} s; the client asks for ${vip} every 100 ms ...`);
  const count = seconds * 10;
  const asking = lab.arpProbes(vip, count, 100);
  await cp.freezeApiserver(seconds * 1000);
  const macs = (await asking).flatMap((m) => (m ? [m] : []));
  const by = [...new Set(macs)].map((m) => `${m} (${lab.nodes.find((n) => n.mac === m)?.name ?? '?'})`);
  const unanswered = count - macs.length;
  say(`kube-apiserver resumed: ${unanswered} of ${count} asks unanswered; answered by ${by.join(', ')}`);
}
