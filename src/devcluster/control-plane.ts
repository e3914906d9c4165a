// A real, throwaway Kubernetes control plane: etcd (Debian's etcd-server) and kube-apiserver
// 1.20.2 (built once by hack/build-apiserver.sh) on free loopback ports with a fresh data dir.
// Used by the integration tests (one per test file) and by `lanlb lab`. RBAC is on; an admin
// token (system:masters) and a limited token (authenticated only) are issued.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { get as httpsGet } from 'node:https';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '../kube/client-node.js';
import { freePort } from './free-port.js';
import { onEarlyExit, stopProcess, trackChild } from './child-process.js';

export const ADMIN_USER = 'lanlb-admin';
export const LIMITED_USER = 'lanlb-limited';
/**
 * The shipped ServiceAccounts, as the apiserver sees them. There is no token controller here, so
 * static tokens carry their user names and groups; RBAC bindings to the ServiceAccounts then
 * apply to them exactly as in a cluster.
 */
export const SERVICE_ACCOUNTS = {
  controller: 'system:serviceaccount:lanlb-system:lanlb-controller',
  announcer: 'system:serviceaccount:lanlb-system:lanlb-announcer',
} as const;
const SERVICE_ACCOUNT_GROUPS = 'system:serviceaccounts,system:serviceaccounts:lanlb-system';
export type ClusterUser = 'admin' | 'limited' | keyof typeof SERVICE_ACCOUNTS;

/** Where hack/ caches what it builds (binaries, images, root filesystems): LANLB_CACHE_DIR. */
export function lanlbCacheDir(): string {
  return process.env.LANLB_CACHE_DIR ?? join(homedir(), '.cache', 'lanlb');
}

export function apiserverBinary(): string {
  return process.env.LANLB_APISERVER ?? join(lanlbCacheDir(), 'bin', 'kube-apiserver');
}

export interface ControlPlaneOptions {
  /** Extra kube-apiserver flags, e.g. for a webhook test. */
  apiserverArgs?: string[];
  /** Where etcd and apiserver write their logs; defaults to the data dir. */
  logDir?: string;
}

export class ControlPlane {
  private dir: string | undefined;
  readonly adminToken = randomToken();
  readonly limitedToken = randomToken();
  private readonly tokens: Record<ClusterUser, string> = {
    admin: this.adminToken,
    limited: this.limitedToken,
    controller: randomToken(),
    announcer: randomToken(),
  };
  private etcd: ChildProcess | undefined;
  private apiserver: ChildProcess | undefined;
  private etcdPort = 0;
  private etcdPeerPort = 0;
  apiserverPort = 0;

  private forgetDir: (() => void) | undefined;

  /** Starts nothing: start() makes the data directory and the processes. */
  constructor(private readonly options: ControlPlaneOptions = {}) {}

  /** The fresh data directory of this control plane (made by start()). */
  get dataDir(): string {
    if (!this.dir) throw new Error('the control plane has not been started');
    return this.dir;
  }

  get server(): string {
    return `https://127.0.0.1:${this.apiserverPort}`;
  }

  async start(): Promise<void> {
    const bin = apiserverBinary();
    if (!existsSync(bin)) throw new Error(`kube-apiserver not found at ${bin}: run hack/build-apiserver.sh first`);
    if (!existsSync('/usr/bin/etcd')) throw new Error('etcd not found: apt-get install etcd-server');
    const dir = mkdtempSync(join(tmpdir(), 'lanlb-cp-'));
    this.dir = dir;
    this.forgetDir = onEarlyExit(() => rmSync(dir, { recursive: true, force: true }));
    this.writeCredentials();
    this.etcdPort = await freePort();
    this.etcdPeerPort = await freePort();
    try {
      // The apiserver retries etcd until it answers, so both start at once: saves etcd's start-up.
      this.apiserverPort = await freePort();
      const etcdReady = this.startEtcd();
      const apiserverReady = this.startApiserver();
      await Promise.all([etcdReady, apiserverReady]);
    } catch (err) {
      const tails = ['etcd', 'kube-apiserver']
        .map((n) => this.logTail(n))
        .filter(Boolean)
        .join('\n');
      await this.stop();
      throw new Error(`${(err as Error).message}${tails ? `\n${tails}` : ''}`);
    }
  }

  /** The last lines a component logged, for error messages. */
  private logTail(name: string, lines = 15): string {
    const path = join(this.options.logDir ?? this.dataDir, `${name}.log`);
    if (!existsSync(path)) return '';
    const text = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return text ? `--- ${name}.log (last ${lines} lines)\n${text}` : '';
  }

  /** Stops and starts kube-apiserver on the same port, keeping etcd and its data. */
  async restartApiserver(downForMs = 0): Promise<void> {
    await stopProcess(this.apiserver);
    this.apiserver = undefined;
    if (downForMs > 0) await new Promise((r) => setTimeout(r, downForMs));
    await this.startApiserver();
  }

  /** kube-apiserver's pid (benchmarks read its CPU time from /proc). */
  get apiserverPid(): number | undefined {
    return this.apiserver?.pid;
  }

  /**
   * Freezes kube-apiserver (SIGSTOP) for `ms`, then lets it run again (SIGCONT): connections stay
   * open and unanswered, as in an overloaded or hung control plane. Resumes even if `ms` throws.
   */
  async freezeApiserver(ms: number): Promise<void> {
    const pid = this.apiserver?.pid;
    if (pid === undefined) throw new Error('kube-apiserver is not running');
    process.kill(pid, 'SIGSTOP');
    const forget = onEarlyExit(() => process.kill(pid, 'SIGCONT'));
    try {
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      process.kill(pid, 'SIGCONT');
      forget();
    }
  }

  async stop(): Promise<void> {
    await stopProcess(this.apiserver);
    await stopProcess(this.etcd);
    this.apiserver = undefined;
    this.etcd = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.forgetDir?.();
  }

  /** The token of a user, for a kubeconfig pointing elsewhere (a node namespace's forwarder). */
  tokenOf(user: ClusterUser): string {
    return this.tokens[user];
  }

  kubeConfig(user: ClusterUser = 'admin'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'lanlb-test', server: this.server, skipTLSVerify: true }],
      users: [{ name: user, token: this.tokens[user] }],
      contexts: [{ name: user, cluster: 'lanlb-test', user }],
      currentContext: user,
    });
    return kc;
  }

  /** Writes a kubeconfig file for kubectl and child processes; returns its path. */
  writeKubeconfig(user: ClusterUser = 'admin', path = join(this.dataDir, `kubeconfig-${user}`)): string {
    writeFileSync(path, this.kubeConfig(user).exportConfig(), { mode: 0o600 });
    return path;
  }

  private writeCredentials(): void {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(this.dataDir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(this.dataDir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(
      join(this.dataDir, 'tokens.csv'),
      [
        `${this.adminToken},${ADMIN_USER},uid-admin,"system:masters"`,
        `${this.limitedToken},${LIMITED_USER},uid-limited`,
        ...Object.entries(SERVICE_ACCOUNTS).map(
          ([user, name]) => `${this.tokens[user as ClusterUser]},${name},uid-${user},"${SERVICE_ACCOUNT_GROUPS}"`,
        ),
        '',
      ].join('\n'),
    );
  }

  private logFile(name: string): NodeJS.WritableStream {
    return createWriteStream(join(this.options.logDir ?? this.dataDir, `${name}.log`), { flags: 'a' });
  }

  private async startEtcd(): Promise<void> {
    const client = `http://127.0.0.1:${this.etcdPort}`;
    const peer = `http://127.0.0.1:${this.etcdPeerPort}`;
    this.etcd = this.spawnLogged('etcd', '/usr/bin/etcd', [
      '--name=lanlb',
      `--data-dir=${join(this.dataDir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=lanlb=${peer}`,
      '--log-level=warn',
      '--logger=zap',
      // Tests create and delete much; an unsynced disk is fine for a throwaway store.
      '--unsafe-no-fsync',
      '--quota-backend-bytes=4294967296',
    ]);
    await waitFor(async () => (await fetch(`${client}/health`)).ok, 15_000, 'etcd health', this.etcd);
  }

  private async startApiserver(): Promise<void> {
    const d = this.dataDir;
    this.apiserver = this.spawnLogged('kube-apiserver', apiserverBinary(), [
      `--etcd-servers=http://127.0.0.1:${this.etcdPort}`,
      `--secure-port=${this.apiserverPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${join(d, 'certs')}`,
      `--token-auth-file=${join(d, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      `--service-account-key-file=${join(d, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(d, 'sa.key')}`,
      '--service-account-issuer=https://lanlb.test',
      '--api-audiences=lanlb',
      // Cluster IPs are bookkeeping only here: nothing is ever routed to them.
      '--service-cluster-ip-range=10.96.0.0/16',
      // Wide enough for the 5,000-Service benchmark (each LoadBalancer Service takes NodePorts).
      '--service-node-port-range=1024-65000',
      '--disable-admission-plugins=ServiceAccount',
      '--profiling=false',
      '--v=0',
      ...(this.options.apiserverArgs ?? []),
    ]);
    await waitFor(
      () => httpsOk(`${this.server}/readyz`, this.adminToken),
      60_000,
      'kube-apiserver /readyz',
      this.apiserver,
    );
  }

  private spawnLogged(name: string, cmd: string, args: string[]): ChildProcess {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = this.logFile(name);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    trackChild(child);
    return child;
  }
}

/** GET over TLS to the apiserver's self-signed certificate; true on 200. */
function httpsOk(url: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsGet(
      url,
      { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` }, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function randomToken(): string {
  return randomBytes(24).toString('hex');
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  child: ChildProcess | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what}: process exited with code ${child.exitCode}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
