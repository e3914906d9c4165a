// CIDRs and inclusive ranges of one family. A CIDR's host bits are masked off, as Go's
// net.ParseCIDR does, so "192.0.2.5/24" is the block 192.0.2.0/24.
import { BITS, MAX, parseAddress, type Family } from './address.js';

export interface AddressRange {
  family: Family;
  first: bigint;
  last: bigint;
}

export interface Cidr extends AddressRange {
  prefix: number;
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddress(s.slice(0, slash));
  const prefixText = s.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const bits = BITS[addr.family];
  if (prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  const hostMask = (1n << hostBits) - 1n;
  const first = addr.value & (MAX[addr.family] ^ hostMask);
  return { family: addr.family, prefix, first, last: first | hostMask };
}

export function rangeSize(r: AddressRange): bigint {
  return r.last - r.first + 1n;
}

export function overlaps(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function contains(r: AddressRange, family: Family, value: bigint): boolean {
  return r.family === family && r.first <= value && value <= r.last;
}
