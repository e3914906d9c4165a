// One HTTP/2 connection to the apiserver carrying every request and watch of a process, as
// client-go's transport does. Over HTTP/1.1 each open watch holds a TLS connection of its own (an
// announcer keeps six), and the apiserver's cost at thousands of nodes follows the number of
// connections, not what is watched (docs/benchmarks.md, scale). Here a process holds one.
//
// A connection that stops answering (an apiserver frozen, a path that drops packets without a
// reset) would hold every watch silently; as client-go (ReadIdleTimeout 30 s, PingTimeout 15 s)
// it is pinged after 30 s without a frame and closed when the ping is not answered in 15 s, so
// the watches end with an error and their informers list and watch again on a new connection.
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';

export interface Http2Timings {
  /** a connection silent this long is pinged */
  idleBeforePingMs: number;
  /** and closed when the ping is not answered in this time */
  pingTimeoutMs: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

export const HTTP2_TIMINGS: Http2Timings = {
  idleBeforePingMs: 30_000,
  pingTimeoutMs: 15_000,
  // As long as a request may take: a connection opened while the apiserver is frozen waits for it
  // as an HTTP/1.1 request would (with 10 s, announcers started during a freeze gave up and exited:
  // L2 chaos run).
  connectTimeoutMs: 60_000,
  requestTimeoutMs: 60_000,
};

export interface Http2Reply {
  status: number;
  text: string;
}

export interface StreamHandlers {
  /** one line of the body (a watch event), without its newline */
  line(text: string): void;
  /** the stream ended: `err` when it failed or the status was not 200 (`status` set) */
  done(err: Error | null, status?: number, text?: string): void;
}

export class Http2Connection {
  private session: ClientHttp2Session | undefined;
  private pending: Promise<ClientHttp2Session> | undefined;
  private active = 0;
  private lastHeard = 0;
  private closed = false;

  constructor(
    private readonly origin: string,
    /** TLS settings from the kubeconfig, read again for every new connection (rotated client certs) */
    private readonly tls: () => Promise<SecureClientSessionOptions>,
    private readonly t: Http2Timings = HTTP2_TIMINGS,
  ) {}

  /** One request with a body read whole; rejects on a transport failure, not on a status. */
  async request(headers: OutgoingHttpHeaders, payload?: Buffer): Promise<Http2Reply> {
    const session = await this.open();
    return new Promise<Http2Reply>((resolve, reject) => {
      const stream = this.start(session, headers, payload === undefined);
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (h: IncomingHttpHeaders) => (status = Number(h[':status'] ?? 0)));
      stream.on('data', (c: Buffer) => {
        this.lastHeard = Date.now();
        chunks.push(c);
      });
      stream.on('end', () => resolve({ status, text: Buffer.concat(chunks).toString('utf8') }));
      stream.on('error', reject);
      // After 'end' this is a no-op; otherwise the stream was reset or its connection went away.
      stream.on('close', () =>
        reject(new Error(`${String(headers[':path'])}: stream closed before its end (code ${stream.rstCode})`)),
      );
      stream.setTimeout(this.t.requestTimeoutMs, () =>
        stream.destroy(new Error(`${String(headers[':path'])}: timed out after ${this.t.requestTimeoutMs / 1000} s`)),
      );
      if (payload) stream.end(payload);
    });
  }

  /** A long response read line by line (a watch); resolves with what cancels it. */
  async stream(headers: OutgoingHttpHeaders, on: StreamHandlers): Promise<{ abort(): void }> {
    const session = await this.open();
    const stream = this.start(session, headers, true);
    let status = 0;
    let buffered = '';
    let finished = false;
    const finish = (err: Error | null): void => {
      if (finished) return;
      finished = true;
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      on.done(err, status || undefined, status && status !== 200 ? buffered : undefined);
    };
    stream.setEncoding('utf8');
    stream.on('response', (h: IncomingHttpHeaders) => (status = Number(h[':status'] ?? 0)));
    stream.on('data', (chunk: string) => {
      this.lastHeard = Date.now();
      buffered += chunk;
      if (status !== 200) return; // an error Status: kept whole for the message
      for (let i = buffered.indexOf('\n'); i >= 0 && !finished; i = buffered.indexOf('\n')) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (line) on.line(line);
      }
    });
    stream.on('end', () => finish(status === 200 ? null : new Error(`${status} ${buffered.slice(0, 200)}`)));
    stream.on('error', (err: Error) => finish(err));
    stream.on('close', () => finish(status === 200 ? null : new Error(`stream closed (status ${status})`)));
    return { abort: () => finish(null) };
  }

  close(): void {
    this.closed = true;
    this.session?.destroy();
    this.session = undefined;
  }

  private start(session: ClientHttp2Session, headers: OutgoingHttpHeaders, endNow: boolean): ClientHttp2Stream {
    const stream = session.request(headers, { endStream: endNow });
    this.active++;
    session.ref();
    stream.once('close', () => {
      this.active--;
      // An idle connection must not keep a finished process alive (as an idle HTTP/1.1 agent's).
      if (this.active === 0 && !session.destroyed) session.unref();
    });
    return stream;
  }

  private open(): Promise<ClientHttp2Session> {
    if (this.closed) return Promise.reject(new Error('connection to the apiserver closed'));
    if (this.session && !this.session.closed && !this.session.destroyed) return Promise.resolve(this.session);
    this.pending ??= this.connect().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async connect(): Promise<ClientHttp2Session> {
    const session = connect(this.origin, await this.tls());
    this.session = session;
    this.lastHeard = Date.now();
    const forget = (): void => {
      if (this.session === session) this.session = undefined;
    };
    // After GOAWAY (an apiserver shutting down, or its max-streams recycling) the streams in
    // flight finish; new ones go to a new connection.
    session.on('goaway', forget);
    session.on('close', forget);
    session.on('error', forget);
    const giveUp = setTimeout(
      () =>
        session.destroy(new Error(`connecting to ${this.origin}: no answer in ${this.t.connectTimeoutMs / 1000} s`)),
      this.t.connectTimeoutMs,
    );
    giveUp.unref();
    session.once('connect', () => clearTimeout(giveUp));
    session.once('close', () => clearTimeout(giveUp));
    this.keepChecked(session);
    return session;
  }

  /** Pings a connection idle for 30 s; one that does not answer in 15 s is closed. */
  private keepChecked(session: ClientHttp2Session): void {
    let waiting = false;
    const check = setInterval(() => {
      if (session.destroyed) return clearInterval(check);
      if (waiting || Date.now() - this.lastHeard < this.t.idleBeforePingMs) return;
      waiting = true;
      const dead = setTimeout(
        () => session.destroy(new Error(`apiserver did not answer a ping in ${this.t.pingTimeoutMs / 1000} s`)),
        this.t.pingTimeoutMs,
      );
      dead.unref();
      session.ping((err) => {
        waiting = false;
        clearTimeout(dead);
        if (err) session.destroy(err);
        else this.lastHeard = Date.now();
      });
    }, this.t.idleBeforePingMs / 6);
    check.unref();
    session.once('close', () => clearInterval(check));
  }
}
