// The heartbeat key from Secret lanlb-memberlist (key `secretkey`) in the operator namespace,
// which the controller creates when missing (as MetalLB's controller does its memberlist
// secret). Read at start and every `refreshMs`; a key that cannot be read keeps the last one.
// Heartbeat frames that fail authentication say the key may have been rotated: it is read again
// at once, then no sooner than SUSPECT_GAP_MS, doubling while the read finds the same key (frames
// forged on the LAN must not make every node a reader of the Secret).
import type { KubeHttp } from './http.js';
import type { KeySource } from '../l2/election/wire-peers.js';
import { MEMBERLIST_KEY, MEMBERLIST_SECRET } from '../l2/election/lease-names.js';
import type { Logger } from '../runtime/ports/logger.js';

/** The least time between two reads asked for by unauthenticated frames, and the most it grows to. */
export const SUSPECT_GAP_MS = { min: 5_000, max: 300_000 } as const;

export class SecretKeySource implements KeySource {
  private key: Uint8Array | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warned = false;
  private reading: Promise<boolean> | undefined;
  /** no read for unauthenticated frames before this; the gap after the next one */
  private suspectAt = Number.NEGATIVE_INFINITY;
  private suspectGapMs: number = SUSPECT_GAP_MS.min;

  constructor(
    private readonly http: Pick<KubeHttp, 'get'>,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly refreshMs = 30_000,
    private readonly now: () => number = Date.now,
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

  /**
   * Frames signed with another key arrived: read the Secret now, unless a read asked for this way
   * came within the gap. Found by the 30-minute L2 chaos run: a key rotated just before a 59 s
   * apiserver freeze; the nodes restarted meanwhile read the new key at the thaw, a node that ran
   * through it kept the old one until its next 30-s read, and its crash 9 s after the thaw went
   * unseen on the wire (dark 4.1 s, until it restarted).
   */
  suspect(): void {
    const now = this.now();
    if (this.reading || now < this.suspectAt) return;
    this.suspectAt = now + this.suspectGapMs;
    const before = this.key;
    void this.read().then((ok) => {
      const same = ok && before !== undefined && this.key !== undefined && Buffer.compare(before, this.key) === 0;
      // A read that failed says nothing: the next frames ask again after the least gap.
      this.suspectGapMs = same ? Math.min(this.suspectGapMs * 2, SUSPECT_GAP_MS.max) : SUSPECT_GAP_MS.min;
      if (!same) this.suspectAt = this.now() + this.suspectGapMs;
    });
  }

  /** One read at a time; true when the Secret was read. */
  private read(): Promise<boolean> {
    this.reading ??= this.readOnce().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readOnce(): Promise<boolean> {
    try {
      const s = await this.http.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${this.namespace}/secrets/${MEMBERLIST_SECRET}`,
      );
      const b64 = s.data?.[MEMBERLIST_KEY];
      if (!b64) throw new Error(`Secret ${MEMBERLIST_SECRET} has no ${MEMBERLIST_KEY}`);
      const key = Buffer.from(b64, 'base64');
      if (!this.key) this.log.info('heartbeat key read', { secret: MEMBERLIST_SECRET });
      else if (Buffer.compare(this.key, key) !== 0) this.log.info('heartbeat key changed');
      this.key = key;
      this.warned = false;
      return true;
    } catch (err) {
      if (!this.warned) this.log.warn('heartbeat key unavailable: liveness on the wire is off', { error: err });
      this.warned = true;
      return false;
    }
  }
}
