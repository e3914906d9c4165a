// Bounds that every HTTP endpoint of lanlb keeps (webhooks, health, metrics), so that no client
// can exhaust memory, connections or time, and no request can stop the process (docs/contract.md:
// "Every endpoint bounds request size, time and concurrency"). Values follow what the
// Kubernetes project uses for its own webhooks and components: reviews are small (the apiserver
// caps a webhook call at 10 s by default), so seconds and a MiB are ample.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../runtime/ports/logger.js';

export interface HttpLimits {
  /** request bodies above this are answered 413 */
  maxBodyBytes: number;
  /** requests handled at once; more are answered 429 */
  maxConcurrent: number;
  /** open connections; more are refused by the server */
  maxConnections: number;
  /** time to receive the request headers */
  headersTimeoutMs: number;
  /** time to receive the whole request */
  requestTimeoutMs: number;
  /** an idle keep-alive or silent connection is closed after this */
  idleTimeoutMs: number;
}

export const WEBHOOK_LIMITS: HttpLimits = {
  maxBodyBytes: 1024 * 1024,
  maxConcurrent: 8,
  maxConnections: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
};

/** Health and metrics requests carry no body: smaller bounds still. */
export const PROBE_LIMITS: HttpLimits = {
  ...WEBHOOK_LIMITS,
  maxBodyBytes: 16 * 1024,
  maxConcurrent: 4,
  maxConnections: 32,
};

export function applyLimits(server: Server, limits: HttpLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = Math.min(5_000, limits.idleTimeoutMs);
  server.maxConnections = limits.maxConnections;
  server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy());
}

/** Counts requests in flight; `enter` says no when the limit is reached. */
export class ConcurrencyGate {
  private inFlight = 0;
  constructor(private readonly limit: number) {}

  enter(res: ServerResponse): boolean {
    if (this.inFlight >= this.limit) return false;
    this.inFlight++;
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      this.inFlight--;
    };
    res.once('close', leave);
    res.once('finish', leave);
    return true;
  }
}

export type BodyOutcome = { kind: 'body'; text: string } | { kind: 'too-large' } | { kind: 'aborted'; error?: unknown };

/** Reads the body up to `maxBytes`; stops reading (and keeps nothing) beyond it. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyOutcome> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (o: BodyOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        chunks.length = 0;
        req.pause();
        settle({ kind: 'too-large' });
      } else chunks.push(c);
    });
    req.on('end', () => settle({ kind: 'body', text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', (error) => settle({ kind: 'aborted', error }));
    req.on('close', () => settle({ kind: 'aborted' }));
  });
}

/**
 * Answers and closes the connection (used for refusals): once the answer is out the socket is
 * destroyed, so a client cannot make the server read, and decrypt, the rest of a body it refused.
 */
export function refuse(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.once('finish', () => res.socket?.destroy());
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close', ...headers });
  res.end(`${message}\n`);
}

/**
 * Logs at most one warning per `intervalMs` for a noisy kind of event (aborted requests), with
 * the number suppressed since the last one, so a client cannot flood the log.
 */
export class RateLimitedLog {
  private last = -Infinity;
  private suppressed = 0;
  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    const t = this.now();
    if (t - this.last < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.last = t;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.log.warn(msg, suppressed ? { ...fields, suppressed } : fields);
  }
}
