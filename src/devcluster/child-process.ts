// Child processes and other things (network namespaces) that the dev cluster and tests start:
// stopped by pid, never by name, and removed when this process exits or is told to stop (the
// test runner ends a file that overruns its timeout with SIGTERM, before its `after` hooks run),
// so that a failed or hung test leaves nothing behind.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
/** synchronous removals (e.g. `ip netns del`), run last, newest first */
const cleanups = new Set<() => void>();
let hooked = false;

function removeEverything(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const undo of [...cleanups].reverse()) {
    try {
      undo();
    } catch {
      // best effort: the process is going away
    }
  }
  cleanups.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', removeEverything);
  process.once('SIGTERM', () => {
    removeEverything();
    process.exit(143);
  });
}

export function trackChild(child: ChildProcess): void {
  hook();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Registers a synchronous removal to run if this process ends early; returns its deregistration. */
export function onEarlyExit(undo: () => void): () => void {
  hook();
  cleanups.add(undo);
  return () => cleanups.delete(undo);
}

/** How long a process may take to go after SIGKILL before the wait gives up (it is in the kernel). */
const KILL_WAIT_MS = 5_000;

/**
 * SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. Bounded: throws,
 * naming the pid, when even SIGKILL has not ended it `KILL_WAIT_MS` later.
 */
export async function stopProcess(child: ChildProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!child || hasExited(child)) return;
  const exited = exitOf(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await waitBounded(exited, graceMs + KILL_WAIT_MS, `process ${child.pid} did not exit after SIGTERM and SIGKILL`);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `signal` and waits, bounded, for the exit. */
export async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 10_000): Promise<void> {
  if (hasExited(child)) return;
  const exited = exitOf(child);
  child.kill(signal);
  await waitBounded(exited, timeoutMs, `process ${child.pid} did not exit within ${timeoutMs} ms of ${signal}`);
}

export const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

async function waitBounded(p: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
