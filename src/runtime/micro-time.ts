// metav1.MicroTime: RFC 3339 with exactly six fractional digits, UTC ("2006-01-02T15:04:05.000000Z").
// Lease acquireTime/renewTime are MicroTime; a millisecond string is accepted by the apiserver
// but loses the precision client-go writes, so both directions keep microseconds.

export function formatMicroTime(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.floor((epochMs - wholeMs) * 1000);
  const iso = new Date(wholeMs).toISOString(); // 2026-11-23T10:00:00.123Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** Milliseconds since the epoch (fractional) of a MicroTime or any RFC 3339 time; NaN if invalid. */
export function parseMicroTime(s: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return Number.NaN;
  const [, base, frac = '', zone] = m;
  const whole = Date.parse(`${base}${zone}`);
  const fraction = Number(`0.${frac || '0'}`) * 1000;
  return whole + fraction;
}
