// The L2 chaos run's bed (issue 29): a real kube-apiserver, lanlb's CRDs and shipped RBAC,
// `lanlb controller` under its ServiceAccount, and one `lanlb announcer` per node namespace
// under its own, started as the DaemonSet starts it (HOST_IP, NODE_NAME, POD_NAMESPACE, no
// flags), all on one LAN bridge with a client namespace. Processes are stopped by pid and the
// namespaces removed on stop (also when the run fails).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { ControlPlane } from '../control-plane.js';
import { NetnsLab, nodeEntry, nodeKubeconfig, type LabNode } from '../netns-lab.js';
import { trackChild, stopProcess } from '../child-process.js';
import { KubeHttp } from '../../kube/http.js';
import { installCrds } from '../../kube/crd-install.js';
import { installShippedRbac } from '../shipped-rbac.js';

export const LANLB_NAMESPACE = 'lanlb-system';

export interface BedOptions {
  nodes: number;
  /** stderr lines of every lanlb process, for the report */
  onLog?: (who: string, line: string) => void;
}

export interface ProcessHealth {
  who: string;
  pid: number | undefined;
  alive: boolean;
  fds: number;
  rssMiB: number;
}

export class ChaosBed {
  readonly cp = new ControlPlane();
  /** made in start(): it needs the control plane's directory and port */
  lab!: NetnsLab;
  http!: KubeHttp;
  private readonly announcers = new Map<string, ChildProcess>();
  private controller: ChildProcess | undefined;
  private nodeKc = '';

  constructor(private readonly o: BedOptions) {}

  get nodes(): readonly LabNode[] {
    return this.lab.nodes;
  }

  async start(): Promise<void> {
    await this.cp.start();
    this.http = new KubeHttp(this.cp.kubeConfig());
    const port = this.cp.apiserverPort;
    this.lab = new NetnsLab({ prefix: 'lanlbx-', nodes: this.o.nodes, dir: this.cp.dataDir, apiserverPort: port });
    await installCrds(this.http);
    await installShippedRbac(this.cp.writeKubeconfig(), this.cp.dataDir);
    await this.lab.create();
    for (const n of this.lab.nodes) {
      const labels = { 'kubernetes.io/hostname': n.name };
      await this.http.post('/api/v1/nodes', { metadata: { name: n.name, labels } });
    }
    this.nodeKc = nodeKubeconfig(this.cp, 'announcer');
    this.startController();
    for (const n of this.lab.nodes) this.startAnnouncer(n.name);
  }

  controllerRunning(): boolean {
    return running(this.controller);
  }

  startController(): void {
    if (running(this.controller)) return;
    const args = [
      ...['controller', '--kubeconfig', this.cp.writeKubeconfig('controller')],
      ...['--leader-election-namespace', 'lanlb-leader-election', '--webhook-addr', '0'],
      ...['--health-addr', '0', '--metrics-addr', '0'],
    ];
    const child = spawn(process.execPath, [...nodeEntry('src/cli/entry.ts'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, POD_NAMESPACE: LANLB_NAMESPACE, POD_NAME: 'lanlb-controller-chaos' },
    });
    trackChild(child);
    this.follow('controller', child);
    this.controller = child;
  }

  stopController(): Promise<void> {
    return stopProcess(this.controller, 5_000);
  }

  /** `lanlb announcer` in the node's namespace; `withoutNetRaw` drops CAP_NET_RAW first (capsh). */
  startAnnouncer(node: string, withoutNetRaw = false): void {
    const n = this.node(node);
    if (running(this.announcers.get(node))) throw new Error(`announcer on ${node} is running`);
    const args = [...nodeEntry('src/cli/entry.ts'), 'announcer', '--kubeconfig', this.nodeKc];
    const env = { HOST_IP: n.address ?? '', NODE_NAME: node, POD_NAMESPACE: LANLB_NAMESPACE };
    const child = withoutNetRaw
      ? this.lab.spawnIn(
          n.netns,
          'capsh',
          ['--drop=cap_net_raw', '--', '-c', 'exec "$0" "$@"', process.execPath, ...args],
          env,
        )
      : this.lab.spawnIn(n.netns, process.execPath, args, env);
    this.follow(node, child);
    this.announcers.set(node, child);
  }

  announcer(node: string): ChildProcess | undefined {
    return this.announcers.get(node);
  }

  /** Stops the node's announcer (SIGTERM, or the signal given) and waits for it to exit. */
  async stopAnnouncer(node: string): Promise<void> {
    const child = this.announcers.get(node);
    if (child?.pid && running(child)) process.kill(child.pid, 'SIGCONT'); // a paused one could not exit
    await stopProcess(child, 5_000);
  }

  signal(node: string, sig: NodeJS.Signals): void {
    const child = this.announcers.get(node);
    if (child?.pid && running(child)) process.kill(child.pid, sig);
  }

  node(name: string): LabNode {
    const n = this.lab.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Every lanlb process: running, its open fds and resident memory (from /proc). */
  health(): ProcessHealth[] {
    const all: Array<[string, ChildProcess | undefined]> = [
      ['controller', this.controller],
      ...this.lab.nodes.map((n): [string, ChildProcess | undefined] => [n.name, this.announcers.get(n.name)]),
    ];
    return all.map(([who, c]) => ({ who, pid: c?.pid, alive: running(c), ...procStats(c?.pid) }));
  }

  log(who: string, line: string): void {
    this.o.onLog?.(who, line);
  }

  private follow(who: string, child: ChildProcess): void {
    child.once('exit', (code, signal) =>
      this.o.onLog?.(who, `exited (code ${code}, signal ${signal}) pid ${child.pid}`),
    );
    let rest = '';
    child.stderr?.on('data', (b: Buffer) => {
      const lines = (rest + b.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) this.o.onLog?.(who, line);
    });
  }

  async stop(): Promise<void> {
    for (const n of this.lab?.nodes ?? []) await this.stopAnnouncer(n.name).catch(() => undefined);
    await this.stopController().catch(() => undefined);
    await this.lab?.destroy();
    this.http?.close();
    await this.cp.stop();
  }
}

function running(c: ChildProcess | undefined): boolean {
  return !!c && c.exitCode === null && c.signalCode === null;
}

function procStats(pid: number | undefined): { fds: number; rssMiB: number } {
  if (!pid) return { fds: 0, rssMiB: 0 };
  try {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { fds: readdirSync(`/proc/${pid}/fd`).length, rssMiB: Number(rss ?? 0) / 1024 };
  } catch {
    return { fds: 0, rssMiB: 0 };
  }
}
