// What the chaos run records (issue 29): the client's probe rounds (prober.ts, every 50 ms, ARP
// and NDP, from the client namespace), a capture of every ARP/NDP frame on the LAN bridge (a ring
// of pcap files, for replay around a violation), and from the apiserver: each Service's addresses
// over time and every write of a Service Lease with its holder.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Informer } from '../../runtime/informer.js';
import { nodeEntry } from '../netns-lab.js';
import { stopProcess } from '../child-process.js';
import { SERVICE_ANNOTATION } from '../../l2/election/lease-names.js';
import { SERVICE_LEASE_SELECTOR } from '../../kube/lease-copier.js';
import type { Service, LeaseObject } from '../../core/kube-objects.js';
import type { ChaosBed } from './bed.js';
import { LANLB_NAMESPACE } from './bed.js';
import type { AddressLife, HolderChange, ProbeRound } from './invariants.js';

const now = (): number => Math.round(performance.timeOrigin + performance.now());
const CLIENT_MAC = '02:00:00:00:00:c0';

export class Recorder {
  readonly rounds: ProbeRound[] = [];
  readonly addresses: AddressLife[] = [];
  readonly holders: HolderChange[] = [];
  readonly leaseWrites: Array<{ t: number; service: string }> = [];
  /** the pcap ring on the bridge: bridge.pcap0 .. bridge.pcap3 */
  readonly capture: string;
  private prober: ChildProcess | undefined;
  private tcpdump: ChildProcess | undefined;
  private readonly stopped = new AbortController();
  private readonly open = new Map<string, AddressLife>();
  private readonly holderOf = new Map<string, string | undefined>();
  private sentVips = '';

  constructor(
    private readonly bed: ChaosBed,
    dir: string,
    private readonly boundMinutes: number,
  ) {
    this.capture = join(dir, 'bridge.pcap');
  }

  async start(): Promise<void> {
    const lab = this.bed.lab;
    this.tcpdump = lab.spawnIn(lab.lan, 'tcpdump', [
      ...['-i', 'br0', '-nn', '-s', '128', '-U', '-Z', 'root', '-w', this.capture],
      ...['-C', '50', '-W', '4', 'arp or icmp6'],
    ]);
    const args = ['eth0', CLIENT_MAC, '192.0.2.100', '2001:db8::100', String(this.boundMinutes)];
    const prober = [...nodeEntry('src/devcluster/l2-chaos/prober.ts'), ...args];
    this.prober = lab.spawnIn(lab.client, process.execPath, prober, {}, true);
    this.prober.stderr?.on('data', (b: Buffer) => this.bed.log('prober', b.toString().trim()));
    this.prober.stdin?.on('error', () => undefined);
    const out = this.prober.stdout;
    if (!out) throw new Error('the prober has no stdout');
    createInterface({ input: out }).on('line', (line) => {
      try {
        const round = JSON.parse(line) as { t: number; a: ProbeRound['answers'] };
        this.rounds.push({ t: round.t, answers: round.a });
      } catch {
        // a partial line at exit
      }
    });
    await this.watch();
  }

  private async watch(): Promise<void> {
    const http = this.bed.http;
    const services = new Informer<Service>(http, { path: '/api/v1/services' });
    services.addHandler({
      add: (s) => this.serviceChanged(s),
      update: (s) => this.serviceChanged(s),
      delete: (s) => this.serviceChanged(s, true),
    });
    const leases = new Informer<LeaseObject>(http, {
      path: `/apis/coordination.k8s.io/v1/namespaces/${LANLB_NAMESPACE}/leases`,
      query: { labelSelector: SERVICE_LEASE_SELECTOR },
    });
    leases.addHandler({ add: (l) => this.leaseWritten(l), update: (l) => this.leaseWritten(l) });
    await Promise.all([services.start(this.stopped.signal).synced, leases.start(this.stopped.signal).synced]);
  }

  private serviceChanged(s: Service, deleted = false): void {
    const service = `${s.metadata.namespace}/${s.metadata.name}`;
    const vips = deleted ? [] : (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
    const t = now();
    for (const [key, life] of this.open) {
      if (life.service === service && !vips.includes(life.vip)) {
        life.to = t;
        this.open.delete(key);
      }
    }
    for (const vip of vips) {
      const key = `${service} ${vip}`;
      if (this.open.has(key)) continue;
      const life: AddressLife = { vip, service, from: t };
      this.open.set(key, life);
      this.addresses.push(life);
    }
    this.tellProber();
  }

  private tellProber(): void {
    const vips = [...new Set([...this.open.values()].map((l) => l.vip))].sort().join(',');
    if (vips === this.sentVips) return;
    this.sentVips = vips;
    this.prober?.stdin?.write(`vips ${vips}\n`);
  }

  private leaseWritten(l: LeaseObject): void {
    const service = l.metadata.annotations?.[SERVICE_ANNOTATION];
    if (!service) return;
    const t = now();
    const holder = l.spec?.holderIdentity || undefined;
    this.leaseWrites.push({ t, service });
    if (this.holderOf.has(service) && this.holderOf.get(service) === holder) return;
    this.holderOf.set(service, holder);
    this.holders.push({ t, service, holder });
  }

  holderNow(service: string): string | undefined {
    return this.holderOf.get(service);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.prober?.stdin?.write('stop\n');
    await stopProcess(this.prober, 3_000);
    await stopProcess(this.tcpdump, 3_000);
  }
}
