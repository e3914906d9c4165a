// The heartbeat key from Secret lanlb-memberlist (key `secretkey`) in the operator namespace,
// which the controller creates when missing (as MetalLB's controller does its memberlist
// secret). Read at start and every `refreshMs`; a key that cannot be read keeps the last one.
import type { KubeHttp } from './http.js';
import type { KeySource } from '../l2/election/wire-peers.js';
import { MEMBERLIST_KEY, MEMBERLIST_SECRET } from '../l2/election/lease-names.js';
import type { Logger } from '../runtime/ports/logger.js';

export class SecretKeySource implements KeySource {
  private key: Uint8Array | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warned = false;

  constructor(
    private readonly http: KubeHttp,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly refreshMs = 30_000,
  ) {}

  current(): Uint8Array | undefined {
    return this.key;
  }

  /** Reads the key now and keeps it fresh until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    await this.read();
    const retry = (): void => {
      this.timer = setTimeout(() => void this.read().finally(retry), this.key ? this.refreshMs : 2_000);
    };
    retry();
    signal.addEventListener('abort', () => clearTimeout(this.timer), { once: true });
  }

  private async read(): Promise<void> {
    try {
      const s = await this.http.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${this.namespace}/secrets/${MEMBERLIST_SECRET}`,
      );
      const b64 = s.data?.[MEMBERLIST_KEY];
      if (!b64) throw new Error(`Secret ${MEMBERLIST_SECRET} has no ${MEMBERLIST_KEY}`);
      const key = Buffer.from(b64, 'base64');
      if (!this.key) this.log.info('heartbeat key read', { secret: MEMBERLIST_SECRET });
      this.key = key;
      this.warned = false;
    } catch (err) {
      if (!this.warned) this.log.warn('heartbeat key unavailable: liveness on the wire is off', { error: err });
      this.warned = true;
    }
  }
}
