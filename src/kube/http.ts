// Raw JSON requests to the apiserver, authenticated by client-node's KubeConfig. The typed APIs of
// client-node 1.x turn timestamps into Date objects while watches deliver strings; caches and
// diffs need one shape, so every read here returns the apiserver's JSON as is.
import { request as httpsRequest, Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { Watch, type KubeConfig } from './client-node.js';
import { KubeApiError } from '../runtime/ports/api-error.js';

import type { Query } from '../runtime/ports/status-transport.js';

export interface RequestInit {
  query?: Query;
  body?: unknown;
  contentType?: string;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';

export class KubeHttp {
  private readonly server: URL;
  private readonly agent: HttpsAgent | HttpAgent;

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    const secure = this.server.protocol === 'https:';
    this.agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: 32 })
      : new HttpAgent({ keepAlive: true, maxSockets: 32 });
  }

  get kubeConfig(): KubeConfig {
    return this.kc;
  }

  /**
   * Watches a collection (client-node's Watch, so its reconnection-free stream parsing is reused);
   * resolves with what aborts it. `done` gets the error that ended it, if any.
   */
  watch(
    path: string,
    query: Query,
    onEvent: (type: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    return new Watch(this.kc).watch(path, query, onEvent, done);
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
    const url = new URL(this.server.pathname.replace(/\/$/, '') + path, this.server);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body));
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
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON (a proxy's HTML error page, say): keep the text for the message
        }
        if (code >= 200 && code < 300) return resolve(body as T);
        const status = (typeof body === 'object' && body !== null ? body : {}) as { reason?: string; message?: string };
        reject(
          new KubeApiError(
            code,
            status.reason ?? String(code),
            `${what}: ${code} ${status.message ?? text.slice(0, 200)}`,
            body,
          ),
        );
      });
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`${what}: timed out after 60 s`)));
    if (payload) req.write(payload);
    req.end();
  });
}
