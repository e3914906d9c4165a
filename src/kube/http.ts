// Raw JSON requests to the apiserver, authenticated by client-node's KubeConfig. The typed APIs of
// client-node 1.x turn timestamps into Date objects while watches deliver strings; caches and
// diffs need one shape, so every read here returns the apiserver's JSON as is.
import { request as httpsRequest, Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import type { OutgoingHttpHeaders, SecureClientSessionOptions } from 'node:http2';
import { Watch, type KubeConfig } from './client-node.js';
import { Http2Connection, HTTP2_TIMINGS, type Http2Timings } from './http2-connection.js';
import { KubeApiError } from '../runtime/ports/api-error.js';

import type { Query } from '../runtime/ports/status-transport.js';

export interface RequestInit {
  query?: Query;
  body?: unknown;
  contentType?: string;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';

/**
 * HTTP/2 unless the server is plain HTTP or `DISABLE_HTTP2` is set (client-go's switch, for a
 * proxy on the way that speaks only HTTP/1.1).
 */
export function wantsHttp2(server: URL, env: NodeJS.ProcessEnv = process.env): boolean {
  return server.protocol === 'https:' && !env.DISABLE_HTTP2;
}

export interface KubeHttpOptions {
  /** false: HTTP/1.1, a connection per watch (benchmarks compare the two) */
  http2?: boolean;
  http2Timings?: Http2Timings;
}

export class KubeHttp {
  private readonly server: URL;
  private readonly agent: HttpsAgent | HttpAgent;
  private readonly h2: Http2Connection | undefined;

  constructor(
    private readonly kc: KubeConfig,
    options: KubeHttpOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    const secure = this.server.protocol === 'https:';
    this.agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: 32 })
      : new HttpAgent({ keepAlive: true, maxSockets: 32 });
    this.h2 =
      (options.http2 ?? true) && wantsHttp2(this.server)
        ? new Http2Connection(this.server.origin, () => this.tlsOptions(), options.http2Timings ?? HTTP2_TIMINGS)
        : undefined;
  }

  get kubeConfig(): KubeConfig {
    return this.kc;
  }

  /**
   * Watches a collection: a stream on the one HTTP/2 connection, or client-node's Watch over
   * HTTP/1.1 (a connection per watch); resolves with what aborts it. `done` gets the error that
   * ended it, if any.
   */
  async watch(
    path: string,
    query: Query,
    onEvent: (type: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    if (!this.h2) return new Watch(this.kc).watch(path, query, onEvent, done);
    const url = this.url(path, { ...query, watch: true });
    const what = `watch ${path}`;
    return this.h2.stream(await this.h2Headers('GET', url), {
      line: (text) => {
        let event: { type?: string; object?: unknown };
        try {
          event = JSON.parse(text) as { type?: string; object?: unknown };
        } catch {
          return; // as client-node's Watch: a line that is not JSON is skipped
        }
        onEvent(event.type ?? '', event.object);
      },
      done: (err, status, text) => done(status && status !== 200 ? apiError(status, text ?? '', what) : err),
    });
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  patch<T>(path: string, body: unknown, contentType = MERGE_PATCH): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType });
  }

  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, { body });
  }

  async request<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const url = this.url(path, init.query);
    const payload = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body));
    if (this.h2) {
      const headers = await this.h2Headers(method, url, payload && (init.contentType ?? 'application/json'));
      const reply = await this.h2.request(headers, payload);
      return settle<T>(reply.status, reply.text, `${method} ${path}`);
    }
    const opts: RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      agent: this.agent,
      headers: {
        accept: 'application/json',
        ...(payload
          ? { 'content-type': init.contentType ?? 'application/json', 'content-length': payload.length }
          : {}),
      },
    };
    await this.kc.applyToHTTPSOptions(opts);
    // applyToHTTPSOptions leaves TLS settings on `opts` (https.request hands them to the agent's
    // connections) and a fresh agent per call; ours keeps connections alive across requests.
    opts.agent = this.agent;
    return send<T>(url.protocol === 'https:' ? httpsRequest : httpRequest, opts, payload, `${method} ${path}`);
  }

  close(): void {
    this.agent.destroy();
    this.h2?.close();
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(this.server.pathname.replace(/\/$/, '') + path, this.server);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** Authentication headers are read per request: a token file or exec credential may rotate. */
  private async h2Headers(method: string, url: URL, contentType?: string): Promise<OutgoingHttpHeaders> {
    const opts: RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const headers: OutgoingHttpHeaders = {
      ':method': method,
      ':path': url.pathname + url.search,
      accept: 'application/json',
    };
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    if (contentType) headers['content-type'] = contentType;
    return headers;
  }

  private async tlsOptions(): Promise<SecureClientSessionOptions> {
    const opts: RequestOptions & SecureClientSessionOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = opts;
    return { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername };
  }
}

function apiError(code: number, text: string, what: string): KubeApiError {
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a proxy's HTML error page, say): keep the text for the message
  }
  const status = (typeof body === 'object' && body !== null ? body : {}) as { reason?: string; message?: string };
  return new KubeApiError(
    code,
    status.reason ?? String(code),
    `${what}: ${code} ${status.message ?? text.slice(0, 200)}`,
    body,
  );
}

/** The apiserver's JSON on 2xx, else a KubeApiError with its status and reason. */
function settle<T>(code: number, text: string, what: string): T {
  if (code < 200 || code >= 300) throw apiError(code, text, what);
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    return text as T;
  }
}

type RequestFn = typeof httpsRequest;

function send<T>(fn: RequestFn, opts: RequestOptions, payload: Buffer | undefined, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = fn(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve(settle<T>(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), what));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`${what}: timed out after 60 s`)));
    if (payload) req.write(payload);
    req.end();
  });
}
