// Is a newly allocated address free on the LAN? (docs/contract.md, "Self-checks"; pure, times in ms.)
// Before the first announcement of a Service's addresses the node about to hold it probes them
// (ARP probe, RFC 5227; Duplicate Address Detection, RFC 4862). An answer from a MAC that is not
// one of lanlb's announcers means another host uses the address: nothing is announced, the
// caller reports it, and the check runs again every `retryMs` until the address is free.
//
// RFC 5227 waits 1-2 s with three probes; users of MetalLB and Cilium get no check at all and an
// announcement at once. Two probes and `probeMs` (300 ms) of listening catch a host that is up,
// for a first announcement that comes a third of a second later.

export interface AddressCheckTimings {
  probeMs: number;
  retryMs: number;
}

export const DEFAULT_ADDRESS_CHECK: AddressCheckTimings = { probeMs: 300, retryMs: 30_000 };

export type CheckStatus =
  | { kind: 'clear' }
  /** send probes now, then call started() */
  | { kind: 'start' }
  | { kind: 'wait'; recheckInMs: number }
  /** another host answered: `first` is true when this is news (report it) */
  | { kind: 'in-use'; mac: string; address: string; first: boolean; recheckInMs: number };

export class AddressCheck {
  private readonly out = new Map<string, { until: number; answer?: { mac: string; address: string } }>();
  private readonly inUse = new Map<string, { retryAt: number; mac: string; address: string }>();
  private readonly clear = new Set<string>();

  constructor(private readonly t: AddressCheckTimings = DEFAULT_ADDRESS_CHECK) {}

  status(key: string, now: number): CheckStatus {
    if (this.clear.has(key)) return { kind: 'clear' };
    const used = this.inUse.get(key);
    if (used && now < used.retryAt) return { kind: 'wait', recheckInMs: used.retryAt - now };
    const check = this.out.get(key);
    if (!check) return { kind: 'start' };
    if (now < check.until) return { kind: 'wait', recheckInMs: check.until - now };
    this.out.delete(key);
    if (!check.answer) {
      this.inUse.delete(key);
      this.clear.add(key);
      return { kind: 'clear' };
    }
    const { mac, address } = check.answer;
    this.inUse.set(key, { retryAt: now + this.t.retryMs, mac, address });
    return { kind: 'in-use', mac, address, first: used?.mac !== mac, recheckInMs: this.t.retryMs };
  }

  started(key: string, now: number): void {
    this.out.set(key, { until: now + this.t.probeMs });
  }

  /** Whether a probe for `key` is out (answers matter now). */
  probing(key: string): boolean {
    return this.out.has(key);
  }

  /** A host that is not one of lanlb's announcers answered for one of `key`'s addresses. */
  foreignAnswer(key: string, mac: string, address: string): void {
    const check = this.out.get(key);
    if (check) check.answer ??= { mac, address };
  }

  /** Forgets Services no longer planned, so a Service made again is checked again. */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const m of [this.out, this.inUse]) for (const k of m.keys()) if (!keys.has(k)) m.delete(k);
    for (const k of this.clear) if (!keys.has(k)) this.clear.delete(k);
  }
}
