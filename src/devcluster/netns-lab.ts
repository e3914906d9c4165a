// A LAN of network namespaces, made and removed by us: a bridge namespace, node namespaces each
// with eth0 on the bridge (and 127.0.0.1:6443 forwarded to the apiserver over a Unix socket),
// and a client namespace. Addresses come only from 192.0.2.0/24 and 2001:db8::/64.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onEarlyExit, stopProcess, trackChild } from './child-process.js';
import { spliceSockets } from './splice-sockets.js';
import { runInNetns } from './run-program.js';
import type { ClusterUser } from './control-plane.js';
import { KubeConfig } from '../kube/client-node.js';

const execFileP = promisify(execFile);
export const NODE_API_PORT = 6443;

/**
 * Writes the kubeconfig a process inside a node namespace uses: the apiserver at the forwarded
 * 127.0.0.1:NODE_API_PORT, as admin or (`user`) one of the shipped ServiceAccounts. Returns its
 * path (in the control plane's data directory).
 */
export function nodeKubeconfig(
  cp: { dataDir: string; tokenOf(user: ClusterUser): string },
  user: ClusterUser = 'admin',
): string {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'lab', server: `https://127.0.0.1:${NODE_API_PORT}`, skipTLSVerify: true }],
    users: [{ name: user, token: cp.tokenOf(user) }],
    contexts: [{ name: 'lab', cluster: 'lab', user }],
    currentContext: 'lab',
  });
  const path = join(cp.dataDir, user === 'admin' ? 'kubeconfig-node' : `kubeconfig-node-${user}`);
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

export interface LabNode {
  name: string;
  netns: string;
  mac: string;
  address?: string;
}

export interface LabOptions {
  prefix: string;
  nodes: number;
  /** directory for the Unix socket */
  dir: string;
  /** apiserver port on 127.0.0.1 of the root namespace */
  apiserverPort: number;
  /** give nodes 192.0.2.1N/24 (a node without an address must still answer) */
  nodeAddresses?: boolean;
}

export async function ip(...args: string[]): Promise<string> {
  return (await execFileP('ip', args)).stdout;
}

/** How to run one of our TypeScript entry points: from source through tsx, or built. */
export function nodeEntry(srcRelative: string): string[] {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return ['--import', 'tsx', join(here, '..', '..', srcRelative.replace(/^src\//, ''))];
  return [join(here, '..', '..', srcRelative.replace(/^src\//, '').replace(/\.ts$/, '.js'))];
}

/**
 * What each probe of a Habets arping run got, in the order sent: the answering MAC, or undefined
 * for a probe nobody answered ("Timeout"). Its "index=" counts replies, not probes, so it cannot
 * place an answer in time.
 */
export function arpingProbes(stdout: string): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  for (const line of stdout.split('\n')) {
    const mac = /bytes from ([0-9a-f:]{17})/i.exec(line)?.[1];
    if (mac) out.push(mac.toLowerCase());
    else if (line.trim() === 'Timeout') out.push(undefined);
  }
  return out;
}

export class NetnsLab {
  readonly lan: string;
  readonly client: string;
  readonly nodes: LabNode[];
  readonly socketPath: string;
  private bridge: Server | undefined;
  private readonly children: ChildProcess[] = [];
  private readonly created: string[] = [];
  /** deregistrations of the early-exit removals of `created` */
  private readonly forget: Array<() => void> = [];
  /** bridged connections, destroyed on teardown (server.close() alone waits for them) */
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private readonly o: LabOptions) {
    this.lan = `${o.prefix}lan`;
    this.client = `${o.prefix}client`;
    this.socketPath = join(o.dir, 'apiserver.sock');
    this.nodes = Array.from({ length: o.nodes }, (_, i) => ({
      name: `node${i + 1}`,
      netns: `${o.prefix}node${i + 1}`,
      mac: `02:00:00:00:00:${(0x11 + i).toString(16)}`,
      address: o.nodeAddresses === false ? undefined : `192.0.2.${11 + i}`,
    }));
  }

  async create(): Promise<void> {
    try {
      await this.addNetns(this.lan);
      await ip('-n', this.lan, 'link', 'add', 'br0', 'type', 'bridge');
      await ip('-n', this.lan, 'link', 'set', 'br0', 'up');
      for (const [i, n] of this.nodes.entries())
        await this.attach(n.netns, `vn${i + 1}`, n.mac, n.address ? [`${n.address}/24`] : []);
      await this.attach(this.client, 'vc', '02:00:00:00:00:c0', ['192.0.2.100/24', '2001:db8::100/64']);
      await this.startBridge();
      for (const n of this.nodes) await this.startForwarder(n.netns);
    } catch (err) {
      await this.destroy();
      throw err;
    }
  }

  private async addNetns(name: string): Promise<void> {
    await ip('netns', 'add', name);
    this.created.push(name);
    this.forget.push(onEarlyExit(() => execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' })));
    await ip('-n', name, 'link', 'set', 'lo', 'up');
  }

  /** A namespace with eth0 on the bridge. */
  private async attach(netns: string, peer: string, mac: string, addresses: string[]): Promise<void> {
    await this.addNetns(netns);
    await ip('link', 'add', 'eth0', 'netns', netns, 'type', 'veth', 'peer', 'name', peer, 'netns', this.lan);
    await ip('-n', netns, 'link', 'set', 'eth0', 'address', mac);
    for (const a of addresses)
      await ip('-n', netns, 'addr', 'add', a, 'dev', 'eth0', ...(a.includes(':') ? ['nodad'] : []));
    await ip('-n', netns, 'link', 'set', 'eth0', 'up');
    await ip('-n', this.lan, 'link', 'set', peer, 'master', 'br0');
    await ip('-n', this.lan, 'link', 'set', peer, 'up');
  }

  private startBridge(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    this.bridge = createServer((c) => {
      const up = connect(this.o.apiserverPort, '127.0.0.1');
      this.sockets.add(c).add(up);
      const forget = (): void => {
        this.sockets.delete(c);
        this.sockets.delete(up);
      };
      c.once('close', forget);
      spliceSockets(c, up);
    });
    return new Promise((resolve, reject) => {
      this.bridge?.once('error', reject);
      this.bridge?.listen(this.socketPath, () => resolve());
    });
  }

  private async startForwarder(netns: string): Promise<void> {
    const child = this.spawnIn(netns, process.execPath, [
      ...nodeEntry('src/devcluster/unix-forwarder.ts'),
      String(NODE_API_PORT),
      this.socketPath,
    ]);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`forwarder in ${netns} exited with ${code}`)));
    });
  }

  /** Starts a process inside a namespace (`stdin`: a pipe to it); it is stopped by pid on destroy(). */
  spawnIn(netns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, stdin = false): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', netns, cmd, ...args], {
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    trackChild(child);
    this.children.push(child);
    return child;
  }

  /** The MACs that answer an ARP request for `vip` from the client (bounded: `count` probes). */
  async arpAnswers(vip: string, count = 2, timeoutS = 1): Promise<string[]> {
    const args = ['-c', String(count), '-w', String(timeoutS), '-I', 'eth0', vip];
    // Habets' arping exits 1 when nobody answered.
    const { stdout } = await runInNetns(this.client, 'arping', args, {
      timeoutMs: (timeoutS + 2) * 1000,
      noAnswerCodes: [1],
    });
    return [...new Set([...stdout.matchAll(/from ([0-9a-f:]{17})/gi)].map((m) => (m[1] as string).toLowerCase()))];
  }

  /**
   * `count` ARP requests for `vip` from the client, one every `everyMs`: for each, the MAC that
   * answered or undefined (arpingProbes). Starts at once; resolves when the last has had its time.
   */
  async arpProbes(vip: string, count: number, everyMs: number): Promise<Array<string | undefined>> {
    const args = ['-c', String(count), '-W', String(everyMs / 1000), '-I', 'eth0', vip];
    const timeoutMs = count * everyMs + 15_000;
    const { stdout } = await runInNetns(this.client, 'arping', args, { timeoutMs, noAnswerCodes: [1] });
    return arpingProbes(stdout);
  }

  /** The MAC that answers a Neighbor Solicitation for `vip` from the client, if any. */
  async ndpAnswer(vip: string): Promise<string | undefined> {
    // ndisc6 exits 2 with "No response." when nobody answered.
    const args = ['-1', '-r', '2', '-w', '500', vip, 'eth0'];
    const { stdout } = await runInNetns(this.client, 'ndisc6', args, { timeoutMs: 5_000, noAnswerCodes: [2] });
    return /Target link-layer address: ([0-9A-F:]{17})/i.exec(stdout)?.[1]?.toLowerCase();
  }

  /** One ping from the client, so its kernel resolves `addr` and keeps a neighbour entry. */
  async ping(addr: string): Promise<void> {
    // Exit 1 (no echo reply) is expected: a VIP answers ARP, but no node owns it for ICMP.
    await runInNetns(this.client, 'ping', ['-c', '1', '-W', '1', addr], { timeoutMs: 3_000, noAnswerCodes: [1] });
  }

  /** The client kernel's neighbour entry for `addr` (lladdr), if any. */
  async neighbour(addr: string): Promise<string | undefined> {
    const { stdout } = await runInNetns(this.client, 'ip', ['neigh', 'show', addr, 'dev', 'eth0']);
    return /lladdr ([0-9a-f:]{17})/.exec(stdout)?.[1];
  }

  async destroy(): Promise<void> {
    for (const c of this.children.splice(0).reverse()) await stopProcess(c, 3_000);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.bridge?.close();
    this.bridge = undefined;
    rmSync(this.socketPath, { force: true });
    for (const ns of this.created.splice(0).reverse()) await ip('netns', 'del', ns).catch(() => undefined);
    for (const forget of this.forget.splice(0)) forget();
  }
}
