// Go-style durations for flags ("500ms", "2s", "1m30s"), so flags read like client-go's.
import { UsageError } from './process-flags.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration flag's value in ms, or `fallback` when the flag was not given. */
export function durationFlag(values: Record<string, unknown>, flag: string, fallback: number): number {
  const v = values[flag];
  return typeof v === 'string' ? parseDuration(v, `--${flag}`) : fallback;
}

export function parseDuration(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a duration such as 500ms, 2s or 1m30s`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNIT_MS[p[2] as string] ?? 0), 0);
}
