// /healthz, /readyz and /metrics over plain HTTP, on addresses set by flags ("0" disables).
// Health and metrics may share one address or use two.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { applyLimits, ConcurrencyGate, PROBE_LIMITS, refuse } from '../http/bounded-http.js';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  /** Alive: the process is making progress. */
  healthy(): boolean;
  /** Ready: caches synced and able to do its job. */
  ready(): boolean;
  /** Why not ready, when there is more to say than "not ready" (shown in /readyz's body). */
  notReadyReason?(): string | undefined;
}

export interface ServeOptions {
  healthAddr: string;
  metricsAddr: string;
  checks: HealthChecks;
  registry: Registry;
}

/** "host:port", ":port" or "port"; "0" or "" means disabled. */
export function parseListenAddr(addr: string): { host: string; port: number } | undefined {
  if (addr === '' || addr === '0') return undefined;
  const i = addr.lastIndexOf(':');
  const host = i < 0 ? '0.0.0.0' : addr.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  const port = Number(i < 0 ? addr : addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid listen address ${JSON.stringify(addr)}`);
  return { host, port };
}

export class HealthServer {
  private readonly servers: Server[] = [];

  constructor(private readonly o: ServeOptions) {}

  /**
   * Listens; returns the bound "host:port" of each server (useful with port 0). An address that
   * cannot be bound (in use) is reported through `onListenError` and skipped: the process keeps
   * doing its job without that endpoint rather than dying.
   */
  onListenError: (addr: string, err: unknown) => void = () => {};

  async start(): Promise<string[]> {
    const health = parseListenAddr(this.o.healthAddr);
    const metrics = parseListenAddr(this.o.metricsAddr);
    const same = health && metrics && health.host === metrics.host && health.port === metrics.port && health.port !== 0;
    const plan: Array<[{ host: string; port: number }, { health: boolean; metrics: boolean }]> = [];
    if (same && health) plan.push([health, { health: true, metrics: true }]);
    else {
      if (health) plan.push([health, { health: true, metrics: false }]);
      if (metrics) plan.push([metrics, { health: false, metrics: true }]);
    }
    const bound: string[] = [];
    for (const [addr, serves] of plan) {
      try {
        bound.push(await this.listen(addr, serves));
      } catch (err) {
        this.onListenError(`${addr.host}:${addr.port}`, err);
      }
    }
    return bound;
  }

  private listen(addr: { host: string; port: number }, serves: { health: boolean; metrics: boolean }): Promise<string> {
    const server = createServer((req, res) => {
      try {
        this.serve(req, res, serves);
      } catch (err) {
        refuse(res, 500, String(err));
      }
    });
    applyLimits(server, PROBE_LIMITS);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(addr.port, addr.host, () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a));
      });
    });
  }

  private readonly gate = new ConcurrencyGate(PROBE_LIMITS.maxConcurrent);

  private serve(req: IncomingMessage, res: ServerResponse, serves: { health: boolean; metrics: boolean }): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    // Probes and scrapes never carry a body: one that does is not read, declared by its length or
    // sent chunked (no length: it could go on for as long as the request timeout allows).
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (chunked || Number(req.headers['content-length'] ?? 0) > 0) return refuse(res, 413, 'no request body expected');
    if (!this.gate.enter(res)) return refuse(res, 429, 'too many requests in flight', { 'retry-after': '1' });
    if (serves.health && (path === '/healthz' || path === '/livez')) return reply(res, this.o.checks.healthy());
    if (serves.health && path === '/readyz') return reply(res, this.o.checks.ready(), this.o.checks.notReadyReason?.());
    if (serves.metrics && path === '/metrics') {
      this.o.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.o.registry.contentType }).end(text),
        (err: unknown) => refuse(res, 500, String(err)),
      );
      return;
    }
    refuse(res, 404, 'not found');
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((r) => {
            s.close(() => r());
            s.closeAllConnections();
          }),
      ),
    );
  }
}

function reply(res: import('node:http').ServerResponse, ok: boolean, reason?: string): void {
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
  res.end(ok ? 'ok\n' : `not ready${reason ? `: ${reason}` : ''}\n`);
}
