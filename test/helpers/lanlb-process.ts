// Starts `lanlb <command>` as a child process (from source, through tsx) and stops it by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopProcess, trackChild } from '../../src/devcluster/child-process.js';

const entry = fileURLToPath(new URL('../../src/cli/entry.ts', import.meta.url));

export interface LanlbProcess {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first JSON log line whose msg matches. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startLanlb(args: string[], env: NodeJS.ProcessEnv = {}): LanlbProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const onData = (buf: Buffer): void => {
    lines.push(...buf.toString('utf8').split('\n').filter(Boolean));
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const parsed = (): Array<Record<string, unknown>> => lines.flatMap((l) => {
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
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      if (signal === 'SIGTERM') await stopProcess(child, 10_000);
      else child.kill(signal);
      return exited;
    },
  };
}
