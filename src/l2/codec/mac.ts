// 48-bit MAC addresses (IEEE 802) as 6-byte arrays, with text form "aa:bb:cc:dd:ee:ff".

export type Mac = Uint8Array;

export const BROADCAST: Mac = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
export const ZERO_MAC: Mac = new Uint8Array(6);

export function parseMac(s: string): Mac | undefined {
  const parts = s.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(m: Mac): string {
  return [...m].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
