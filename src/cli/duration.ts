// Go-style durations for flags ("500ms", "2s", "1m30s"), so flags read like client-go's.
import { UsageError } from './process-flags.js';
import { parseDurationMs } from '../core/duration.js';

/** A duration flag's value in ms, or `fallback` when the flag was not given. */
export function durationFlag(values: Record<string, unknown>, flag: string, fallback: number): number {
  const v = values[flag];
  return typeof v === 'string' ? parseDuration(v, `--${flag}`) : fallback;
}

export function parseDuration(text: string, flag: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined)
    throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a duration such as 500ms, 2s or 1m30s`);
  return ms;
}
