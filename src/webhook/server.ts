// The webhook's HTTPS server: /convert (CRD conversion) and /validate (admission). The serving
// certificate can be swapped while running (rotation) without dropping the listener. Every
// request is answered or closed within the bounds of WEBHOOK_LIMITS, and nothing a request
// carries can throw out of the handler.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { admissionResponse, conversionResponse } from './reviews.js';
import { parseBoundedJson } from '../core/bounded-json.js';
import type { PoolShape } from '../validate/pool-overlaps.js';
import {
  applyLimits,
  ConcurrencyGate,
  RateLimitedLog,
  readBody,
  refuse,
  WEBHOOK_LIMITS,
  type HttpLimits,
} from '../http/bounded-http.js';
import type { Logger } from '../runtime/ports/logger.js';

export class WebhookServer {
  private server: Server | undefined;
  private tls: { cert: string; key: string } | undefined;
  private readonly gate: ConcurrencyGate;
  private readonly aborted: RateLimitedLog;

  constructor(
    private readonly log: Logger,
    private readonly limits: HttpLimits = WEBHOOK_LIMITS,
    /** the pools the cluster has, for the overlap warning (the controller's cache) */
    private readonly existingPools: () => readonly PoolShape[] = () => [],
  ) {
    this.gate = new ConcurrencyGate(limits.maxConcurrent);
    this.aborted = new RateLimitedLog(log);
  }

  /** Sets (or rotates, while serving) the serving certificate. */
  useCertificate(cert: string, key: string): void {
    this.tls = { cert, key };
    this.server?.setSecureContext({ cert, key });
  }

  listen(host: string, port: number): Promise<string> {
    if (!this.tls) throw new Error('webhook: no certificate');
    const server = createServer({ ...this.tls }, (req, res) => void this.handle(req, res));
    applyLimits(server, this.limits);
    // A client that fails the TLS handshake or resets its connection is not worth a log line each.
    server.on('tlsClientError', (err) => this.aborted.warn('webhook connection failed', { error: err }));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a));
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.answer(req, res);
    } catch (err) {
      // A bug, not bad input: answer 500 and keep serving.
      this.log.error('webhook handler failed', { error: err });
      refuse(res, 500, 'internal error');
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (route !== '/convert' && route !== '/validate')) return refuse(res, 404, 'not found');
    if (!this.gate.enter(res)) return refuse(res, 429, 'too many requests in flight', { 'retry-after': '1' });
    const body = await readBody(req, this.limits.maxBodyBytes);
    if (body.kind === 'too-large') return refuse(res, 413, `request body over ${this.limits.maxBodyBytes} bytes`);
    if (body.kind === 'aborted') {
      this.aborted.warn('webhook request aborted', body.error ? { error: body.error } : {});
      return void res.destroy();
    }
    const parsed = parseBoundedJson(body.text);
    if (!parsed.ok) return refuse(res, 400, parsed.message);
    const out =
      route === '/convert' ? conversionResponse(parsed.value) : admissionResponse(parsed.value, this.existingPools);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
  }
}
