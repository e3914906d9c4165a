// What a process has cost so far, read from /proc (Linux): the benchmarks' one way to measure CPU
// and memory of the processes they start.
import { readFileSync } from 'node:fs';

/** CPU seconds the process has used (utime + stime, in clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Resident set size in MiB (VmRSS). */
export function rssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}
