// The webhook's HTTPS server on loopback, in this process: bounds answered with the right status
// (413, 429, 400), generated malformed reviews each answered, and the server still serving after.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect } from 'node:tls';
import fc from 'fast-check';
import { WebhookServer } from '../../../src/webhook/server.js';
import { createCA, createServingCert } from '../../../src/webhook/certificates.js';
import { createLogger } from '../../../src/observability/logger.js';
import { WEBHOOK_LIMITS } from '../../../src/http/bounded-http.js';

const logs: string[] = [];
const log = createLogger('info', {}, (line) => logs.push(line));

function post(port: number, path: string, body: string | Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a TLS connection and sends the headers of a request whose body never comes. */
function stalledRequest(port: number): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      s.write('POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
      resolve(() => s.destroy());
    });
    s.on('error', reject);
  });
}

describe('webhook server bounds', () => {
  const server = new WebhookServer(log, { ...WEBHOOK_LIMITS, maxConcurrent: 2 });
  let port = 0;
  before(async () => {
    const ca = createCA();
    const serving = createServingCert(ca, ['127.0.0.1']);
    server.useCertificate(serving.cert, serving.key);
    port = Number((await server.listen('127.0.0.1', 0)).split(':').pop());
  });
  after(() => server.close());

  it('answers a body over 1 MiB with 413, not a reset', async () => {
    const r = await post(port, '/validate', Buffer.alloc(WEBHOOK_LIMITS.maxBodyBytes + 1, 0x20));
    assert.equal(r.status, 413);
  });

  it('answers JSON nested 100,000 levels with 400 and a reason', async () => {
    const r = await post(port, '/convert', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    assert.equal(r.status, 400);
    assert.match(r.text, /nested deeper than 100 levels/);
  });

  it('answers 429 when the requests in flight reach the limit, and serves again after', async () => {
    const stalled = [await stalledRequest(port), await stalledRequest(port)];
    await new Promise((r) => setTimeout(r, 100));
    const r = await post(port, '/validate', '{}');
    assert.equal(r.status, 429);
    for (const close of stalled) close();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await post(port, '/validate', '{}')).status, 200);
  });

  it('answers 404 elsewhere', async () => {
    assert.equal((await post(port, '/other', '{}')).status, 404);
  });

  it('answers every generated malformed review with 200 or 400 and keeps serving (200 requests)', async () => {
    const bodies = fc.sample(
      fc.oneof(
        fc.jsonValue({ maxDepth: 5 }).map((j) => JSON.stringify(j)),
        fc.string(),
        fc
          .record({
            apiVersion: fc.constantFrom('apiextensions.k8s.io/v1', 'admission.k8s.io/v1'),
            kind: fc.constantFrom('ConversionReview', 'AdmissionReview'),
            request: fc.jsonValue({ maxDepth: 4 }),
          })
          .map((j) => JSON.stringify(j)),
      ),
      200,
    );
    for (const [i, body] of bodies.entries()) {
      const r = await post(port, i % 2 ? '/convert' : '/validate', body);
      assert.ok(r.status === 200 || r.status === 400, `status ${r.status} for ${body.slice(0, 80)}`);
    }
  });

  it('logged no handler failure', () => {
    assert.deepEqual(
      logs.filter((l) => l.includes('handler failed')),
      [],
    );
  });
});
