// The webhook's HTTPS server: /convert (CRD conversion) and /validate (admission). The serving
// certificate can be swapped while running (rotation) without dropping the listener.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { admissionResponse, conversionResponse } from './reviews.js';
import type { Logger } from '../observability/logger.js';

const MAX_BODY = 3 * 1024 * 1024; // the apiserver's own request limit

export class WebhookServer {
  private server: Server | undefined;
  private tls: { cert: string; key: string } | undefined;

  constructor(private readonly log: Logger) {}

  /** Sets (or rotates, while serving) the serving certificate. */
  useCertificate(cert: string, key: string): void {
    this.tls = { cert, key };
    this.server?.setSecureContext({ cert, key });
  }

  listen(host: string, port: number): Promise<string> {
    if (!this.tls) throw new Error('webhook: no certificate');
    this.server = createServer({ ...this.tls }, (req, res) => this.handle(req, res));
    return new Promise((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => {
        const a = this.server?.address();
        resolve(typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a));
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const route = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (route !== '/convert' && route !== '/validate')) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('request body is not JSON\n');
        return;
      }
      const out = route === '/convert' ? conversionResponse(body) : admissionResponse(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
    req.on('error', (err) => this.log.warn('webhook request', { error: err }));
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
  }
}
