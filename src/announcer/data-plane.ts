// The data plane as the announcer drives it: a capture on every interface a policy selects, kept
// in line with the answer table the announcer publishes (interface -> the addresses answered there
// and the Services among them re-announced on a schedule). It owns the captures (the Responder
// port: libpcap in the answer thread in production, fakes in tests), the links (read every 500 ms)
// and the refresh schedule; frames that are not requests come back through onFrame, and a change
// of links or captures through onChange. It decides nothing about Services or Leases.
import { formatMac, type Mac } from '../l2/codec/mac.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import { encodeProbe } from '../l2/codec/probe.js';
import type { Link, LinkSource, Responder, ResponderFactory } from './options.js';
import type { Logger } from '../runtime/ports/logger.js';

/** A selected interface that cannot be opened is tried again this often. */
const REOPEN_AFTER_MS = 5_000;
/** Interfaces, their state and carrier are read this often (/sys, no events to wait for). */
export const LINK_POLL_MS = 500;

export interface DataPlaneOptions {
  links: LinkSource;
  responders: ResponderFactory;
  log: Logger;
  onFrame(frame: Uint8Array): void;
  /** the links changed (up, carrier, MAC, added, removed) or a capture opened: plan again */
  onChange?(): void;
  /**
   * This node could not hear the LAN until `now`: a link in use without carrier or whose carrier
   * changed since the last tick (a flap the 500 ms poll may miss), or ticks far apart (the process
   * was paused, or its main thread stalled). Read on every decision tick.
   */
  onDeaf?(now: number): void;
  /** This node hears the LAN again after being deaf for about `deafMs` (from the tick before it began). */
  onHearing?(deafMs: number): void;
}

/** Ticks further apart than this mean the process did not run (SIGSTOP, a stalled main thread). */
export const DEAF_AFTER_GAP_MS = 300;

/** A Service re-announced on a schedule (spec.announceInterval) on the interfaces listing it. */
export interface Refresh {
  key: string;
  everyMs: number;
  addresses: readonly Announced[];
}

/** What the announcer wants on one interface. */
export interface InterfaceAnswers {
  /** every address answered there */
  addresses: readonly Announced[];
  /** the Services among them re-sent as gratuitous ARP / unsolicited NA on a schedule */
  refresh: readonly Refresh[];
  /** addresses to probe once, now (RFC 5227 / RFC 4862 probes, from the interface's MAC) */
  probes?: readonly Announced[];
}

/** interface -> what is answered there: the one thing the announcer tells the data plane. */
export type AnswerTable = ReadonlyMap<string, InterfaceAnswers>;

export class DataPlane {
  /** interface -> its open capture */
  private readonly responders = new Map<string, Responder>();
  /** interface -> when and why opening it failed last */
  private readonly openFailures = new Map<string, { at: number; error: string }>();
  /** the node's links as last read, and when */
  private links: Link[] = [];
  private linksReadAt = Number.NEGATIVE_INFINITY;
  /** the interfaces a capture is wanted on */
  private wanted: ReadonlySet<string> = new Set();
  /** service key -> when it was last (re-)announced, for its refresh */
  private readonly refreshedAt = new Map<string, number>();
  /** the table's updates of the captures, in publishing order */
  private applying: Promise<void> = Promise.resolve();
  private closed = false;
  private tickedAt = Number.POSITIVE_INFINITY;
  /** interface -> its carrier_changes at the last tick */
  private readonly carrierChanges = new Map<string, number>();
  /** when the deaf stretch under way began (the tick before it was seen); undefined: hearing */
  private deafFrom: number | undefined;
  /** captures held by their pause guard, released once the table planned after it is applied */
  private readonly releasing = new Set<string>();

  constructor(private readonly o: DataPlaneOptions) {}

  /**
   * Reads the links when 500 ms have passed and retries captures that failed to open; reports a
   * change through onChange. Called on every decision tick.
   */
  tick(now: number): void {
    const deaf = this.deafness(now);
    if (deaf) {
      this.deafFrom ??= deaf.from;
      this.o.onDeaf?.(now);
    }
    if (!deaf?.ongoing && this.deafFrom !== undefined) {
      this.o.onHearing?.(now - this.deafFrom);
      this.deafFrom = undefined;
    }
    let changed = false;
    if (now - this.linksReadAt >= LINK_POLL_MS) {
      const fresh = this.o.links.list().map((l) => ({ ...l })); // a copy: a source may reuse its objects
      changed = !sameLinks(this.links, fresh);
      this.links = fresh;
      this.linksReadAt = now;
    }
    for (const iface of this.wanted) if (!this.responders.has(iface)) changed = this.open(iface, now) || changed;
    if (changed) this.o.onChange?.();
  }

  /**
   * Whether this node was deaf since the last tick (paused, or a link in use down or flapping):
   * since when at the latest (that tick), and whether it still is (a link down or without carrier).
   */
  private deafness(now: number): { from: number; ongoing: boolean } | undefined {
    let from = Math.min(this.tickedAt, now);
    let deaf = now - this.tickedAt > DEAF_AFTER_GAP_MS;
    for (const [iface, r] of this.responders) {
      const gap = r.heldFor?.();
      if (gap === undefined) continue;
      // The answering thread did not run (its own pause, seen by the capture's guard): as deaf.
      this.o.log.warn('answers held: the answer thread did not run', { interface: iface, gapMs: gap });
      deaf = true;
      from = Math.min(from, now - gap);
      this.releasing.add(iface);
    }
    let ongoing = false;
    this.tickedAt = now;
    for (const iface of this.wanted) {
      const link = this.o.links.read?.(iface);
      if (!link) continue;
      const changes = link.carrierChanges;
      if (!link.up || link.carrier === false) ongoing = true;
      if (changes !== undefined && changes !== (this.carrierChanges.get(iface) ?? changes)) deaf = true;
      if (changes !== undefined) this.carrierChanges.set(iface, changes);
    }
    return deaf || ongoing ? { from, ongoing } : undefined;
  }

  /** The node's links as last read (up, carrier, MACs). */
  currentLinks(): readonly Link[] {
    return this.links;
  }

  macOf(iface: string): Mac | undefined {
    return this.links.find((l) => l.name === iface)?.mac;
  }

  /** This node's MACs, as text. */
  ownMacs(): string[] {
    return this.links.map((l) => formatMac(l.mac));
  }

  isOpen(iface: string): boolean {
    return this.responders.has(iface);
  }

  /** Why the interface could not be opened last, if it could not. */
  failure(iface: string): string | undefined {
    return this.openFailures.get(iface)?.error;
  }

  /** Opens a capture on every wanted interface (a failed one again after 5 s); closes the rest. */
  keepOpen(wanted: ReadonlySet<string>, now: number): void {
    this.wanted = wanted;
    for (const iface of wanted) if (!this.responders.has(iface)) this.open(iface, now);
    for (const [iface, r] of this.responders) {
      if (wanted.has(iface)) continue;
      this.responders.delete(iface);
      void r.close();
    }
  }

  private send(iface: string, frame: Uint8Array): void {
    this.responders.get(iface)?.send(frame);
  }

  /** Gratuitous ARP / unsolicited NA for `addresses` on `iface`, now. */
  reannounce(iface: string, addresses: readonly Announced[]): void {
    this.responders.get(iface)?.reannounce(addresses);
  }

  /** Sends `frameFor(mac)` on every open capture; the number sent. */
  sendOnEach(frameFor: (mac: Mac) => Uint8Array | undefined): number {
    let sent = 0;
    for (const [iface, r] of this.responders) {
      const mac = this.macOf(iface);
      const frame = mac && frameFor(mac);
      if (!frame) continue;
      r.send(frame);
      sent++;
    }
    return sent;
  }

  /**
   * Takes the announcer's table: captures are put on exactly the addresses it gives their
   * interface (in publishing order, off this call), its probes are sent and Services whose
   * refresh is due are re-sent now. A Service new to the table counts from now: the capture
   * announces it when set. Returns how many Services were re-announced.
   */
  publish(table: AnswerTable, now: number): number {
    if (this.closed) return 0;
    const releasing = [...this.releasing];
    this.releasing.clear();
    this.applying = this.applying
      .then(() => (this.closed ? undefined : this.apply(table)))
      .then(() => this.release(releasing));
    const due = new Map<string, Refresh>();
    for (const answers of table.values()) for (const r of answers.refresh) due.set(r.key, r);
    for (const key of this.refreshedAt.keys()) if (!due.has(key)) this.refreshedAt.delete(key);
    for (const [iface, answers] of table) for (const a of answers.probes ?? []) this.probe(iface, a);
    let refreshed = 0;
    for (const [key, r] of due) {
      const last = this.refreshedAt.get(key);
      if (last !== undefined && now - last < r.everyMs) continue;
      this.refreshedAt.set(key, now);
      if (last === undefined) continue;
      for (const [iface, answers] of table)
        if (answers.refresh.some((x) => x.key === key)) this.reannounce(iface, r.addresses);
      refreshed++;
    }
    return refreshed;
  }

  /** Captures held by their pause guard answer again, on the table just applied. */
  private release(interfaces: readonly string[]): void {
    for (const iface of interfaces) {
      const r = this.responders.get(iface);
      if (!r?.release) continue;
      r.release();
      this.o.log.info('answers released', { interface: iface });
    }
  }

  /** Stops answering: waits for table updates under way, then closes every capture. */
  async close(): Promise<void> {
    this.closed = true;
    await this.applying;
    for (const r of this.responders.values()) await r.close();
    this.responders.clear();
  }

  private probe(iface: string, address: Announced): void {
    const mac = this.macOf(iface);
    if (mac) this.send(iface, encodeProbe(address.family, address.value, mac));
  }

  private async apply(table: AnswerTable): Promise<void> {
    for (const [iface, r] of this.responders) {
      await r
        .set(table.get(iface)?.addresses ?? [])
        .catch((err: unknown) => this.o.log.warn('responder update failed', { interface: iface, error: err }));
    }
  }

  /** Opens a capture on `iface` unless it failed within 5 s; true when it opened. */
  private open(iface: string, now: number): boolean {
    const failed = this.openFailures.get(iface);
    if (failed && now - failed.at < REOPEN_AFTER_MS) return false;
    const link = this.links.find((l) => l.name === iface);
    try {
      if (!link) throw new Error(`interface ${iface} not found`);
      this.responders.set(iface, this.o.responders(link, this.o.onFrame));
      this.openFailures.delete(iface);
      return true;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (!failed) this.o.log.warn('interface unusable', { interface: iface, error });
      this.openFailures.set(iface, { at: now, error });
      return false;
    }
  }
}

function sameLinks(a: readonly Link[], b: readonly Link[]): boolean {
  const text = (l: Link) => `${l.name} ${l.up} ${l.carrier} ${l.loopback} ${formatMac(l.mac)}`;
  return a.length === b.length && a.every((l, i) => text(l) === text(b[i] as Link));
}
