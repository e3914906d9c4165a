// Starts `lanlb <command>` as a child process (from source, through tsx) and stops it by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasExited, signalAndWait, stopProcess, trackChild } from '../../src/devcluster/child-process.js';

const entry = fileURLToPath(new URL('../../src/cli/entry.ts', import.meta.url));

export interface LanlbProcess {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first JSON log line whose msg matches. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The exit code once the process exits by itself; rejects (and kills it) after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | null>;
}

export function startLanlb(args: string[], env: NodeJS.ProcessEnv = {}): LanlbProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const onData = (buf: Buffer): void => {
    lines.push(...buf.toString('utf8').split('\n').filter(Boolean));
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const parsed = (): Array<Record<string, unknown>> =>
    lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    child,
    lines,
    waitForLog(msg, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const match = (): boolean => {
          const hit = parsed().find((e) => (typeof msg === 'string' ? e.msg === msg : msg.test(String(e.msg))));
          if (!hit) return false;
          cleanup();
          resolve(hit);
          return true;
        };
        const onExit = (): void => {
          cleanup();
          reject(new Error(`lanlb exited (${child.exitCode}) before logging ${msg}:\n${lines.join('\n')}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no log ${msg} within ${timeoutMs} ms:\n${lines.join('\n')}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        const check = (): void => void match();
        if (match()) return;
        listeners.add(check);
        child.once('exit', onExit);
      });
    },
    async exited(timeoutMs = 30_000) {
      if (!hasExited(child)) {
        const exit = new Promise<void>((r) => child.once('exit', () => r()));
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), timeoutMs)));
        const outcome = await Promise.race([exit, late]);
        clearTimeout(timer);
        if (outcome === 'late') {
          await stopProcess(child, 1_000);
          throw new Error(`lanlb ${args[0]} did not exit within ${timeoutMs} ms:\n${lines.join('\n')}`);
        }
      }
      return child.exitCode;
    },
    async stop(signal = 'SIGTERM') {
      if (signal === 'SIGTERM') await stopProcess(child, 10_000);
      else await signalAndWait(child, signal);
      return child.exitCode;
    },
  };
}
