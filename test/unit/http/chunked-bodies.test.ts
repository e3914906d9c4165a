// Every bounded endpoint with bodies sent chunked (Transfer-Encoding: chunked, no Content-Length),
// so the streaming bound decides, not the declared length (issue 26): the webhook's /validate and
// /convert answer 413 one byte over 1 MiB and 200 at the limit; /healthz, /readyz and /metrics
// take no body at all, chunked or not. Every connection is bounded by a 10 s socket timeout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Registry } from 'prom-client';
import { WebhookServer } from '../../../src/webhook/server.js';
import { createCA, createServingCert } from '../../../src/webhook/certificates.js';
import { createLogger } from '../../../src/observability/logger.js';
import { HealthServer } from '../../../src/observability/health-server.js';
import { PROBE_LIMITS, WEBHOOK_LIMITS } from '../../../src/http/bounded-http.js';

/** A body as chunks of at most 64 KiB, each framed as HTTP/1.1 chunked encoding, then the end. */
function chunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += 65_536) {
    const c = body.subarray(at, at + 65_536);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Sends one request, raw; resolves with the status code the server answered (0: none). */
function send(socket: Socket, head: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', (err) => ((err as { code?: string }).code === 'EPIPE' ? undefined : reject(err)));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.write(head);
    socket.end(body);
  });
}

const head = (method: string, path: string) =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;

/** An AdmissionReview of a valid pool, padded with spaces to exactly `size` bytes. */
function reviewOfSize(size: number, kind: 'validate' | 'convert'): Buffer {
  const review =
    kind === 'validate'
      ? {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: 'u1',
            operation: 'CREATE',
            object: {
              apiVersion: 'lanlb.io/v1beta1',
              kind: 'LoadBalancerIPPool',
              metadata: { name: 'p' },
              spec: { blocks: [{ cidr: '192.0.2.0/28' }] },
            },
          },
        }
      : {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'ConversionReview',
          request: { uid: 'c', desiredAPIVersion: 'lanlb.io/v1beta1', objects: [] },
        };
  const text = JSON.stringify(review);
  return Buffer.from(text + ' '.repeat(size - text.length));
}

describe('chunked request bodies at every bounded endpoint', () => {
  const log = createLogger('error', {}, () => undefined);
  const webhook = new WebhookServer(log, WEBHOOK_LIMITS);
  const health = new HealthServer({
    healthAddr: '127.0.0.1:0',
    metricsAddr: '127.0.0.1:0',
    checks: { healthy: () => true, ready: () => true },
    registry: new Registry(),
  });
  let webhookPort = 0;
  let healthPort = 0;
  let metricsPort = 0;
  before(async () => {
    const ca = createCA();
    const serving = createServingCert(ca, ['127.0.0.1']);
    webhook.useCertificate(serving.cert, serving.key);
    webhookPort = Number((await webhook.listen('127.0.0.1', 0)).split(':').pop());
    const [h, m] = await health.start();
    healthPort = Number(h?.split(':').pop());
    metricsPort = Number(m?.split(':').pop());
  });
  after(async () => {
    await webhook.close();
    await health.close();
  });

  const tls = () => tlsConnect({ host: '127.0.0.1', port: webhookPort, rejectUnauthorized: false });
  const max = WEBHOOK_LIMITS.maxBodyBytes;

  for (const route of ['validate', 'convert'] as const) {
    it(`/${route}: a chunked body one byte over ${max} bytes is answered 413`, async () => {
      const status = await send(tls(), head('POST', `/${route}`), chunked(reviewOfSize(max + 1, route)));
      assert.equal(status, 413, 'refused by the streaming bound (no Content-Length to refuse it by)');
    });
    it(`/${route}: a chunked body of exactly ${max} bytes is read and answered 200`, async () => {
      const status = await send(tls(), head('POST', `/${route}`), chunked(reviewOfSize(max, route)));
      assert.equal(status, 200, 'a body at the limit is served');
    });
  }

  for (const path of ['/healthz', '/readyz', '/metrics']) {
    for (const size of [PROBE_LIMITS.maxBodyBytes + 1, 1]) {
      it(`${path}: a chunked body (${size} bytes) is refused 413, not read`, async () => {
        const port = path === '/metrics' ? metricsPort : healthPort;
        const status = await send(tcpConnect(port, '127.0.0.1'), head('GET', path), chunked(Buffer.alloc(size, 0x20)));
        assert.equal(status, 413, 'probes and scrapes carry no body');
      });
    }
    it(`${path}: without a body it answers 200 (the refusals above are the body's)`, async () => {
      const port = path === '/metrics' ? metricsPort : healthPort;
      const status = await send(
        tcpConnect(port, '127.0.0.1'),
        `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`,
        Buffer.alloc(0),
      );
      assert.equal(status, 200);
    });
  }
});
