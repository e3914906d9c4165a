// The data plane as the announcer drives it: a capture on every interface a policy selects, kept
// in line with the answer table the announcer publishes (interface -> the addresses answered
// there). It owns the captures (the Responder port: libpcap in the answer thread in production,
// fakes in tests) and the links last read; frames that are not requests come back through
// onFrame. It decides nothing about Services or Leases.
import { formatMac, type Mac } from '../l2/codec/mac.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import type { Link, LinkSource, Responder, ResponderFactory } from './options.js';
import type { Logger } from '../runtime/ports/logger.js';

/** A selected interface that cannot be opened is tried again this often. */
const REOPEN_AFTER_MS = 5_000;

export interface DataPlaneOptions {
  links: LinkSource;
  responders: ResponderFactory;
  log: Logger;
  onFrame(frame: Uint8Array): void;
}

export class DataPlane {
  /** interface -> its open capture */
  private readonly responders = new Map<string, Responder>();
  /** interface -> when and why opening it failed last */
  private readonly openFailures = new Map<string, { at: number; error: string }>();
  /** the node's links as last read */
  private links: Link[] = [];

  constructor(private readonly o: DataPlaneOptions) {}

  /** Reads the node's links afresh (up, carrier, MACs). */
  readLinks(): Link[] {
    this.links = this.o.links.list();
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
    for (const iface of wanted) if (!this.responders.has(iface)) this.open(iface, now);
    for (const [iface, r] of this.responders) {
      if (wanted.has(iface)) continue;
      this.responders.delete(iface);
      void r.close();
    }
  }

  send(iface: string, frame: Uint8Array): void {
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

  /** Puts each open capture on exactly the addresses the table gives its interface. */
  async apply(table: ReadonlyMap<string, readonly Announced[]>): Promise<void> {
    for (const [iface, r] of this.responders) {
      await r
        .set(table.get(iface) ?? [])
        .catch((err: unknown) => this.o.log.warn('responder update failed', { interface: iface, error: err }));
    }
  }

  async close(): Promise<void> {
    for (const r of this.responders.values()) await r.close();
    this.responders.clear();
  }

  private open(iface: string, now: number): void {
    const failed = this.openFailures.get(iface);
    if (failed && now - failed.at < REOPEN_AFTER_MS) return;
    const link = this.links.find((l) => l.name === iface);
    try {
      if (!link) throw new Error(`interface ${iface} not found`);
      this.responders.set(iface, this.o.responders(link, this.o.onFrame));
      this.openFailures.delete(iface);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (!failed) this.o.log.warn('interface unusable', { interface: iface, error });
      this.openFailures.set(iface, { at: now, error });
    }
  }
}
