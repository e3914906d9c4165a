// Runs an external program for a test, the lab or a benchmark, and fails loudly, naming the
// program, when it is missing, times out or exits in a way the caller did not expect. The old
// helper turned every error into empty output, so "nobody answers" passed without a peer.
import { execFile } from 'node:child_process';

export interface ProgramResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  timeoutMs?: number;
  /**
   * Exit codes that mean "ran fine, the answer is no" (arping 1 and ndisc6 2 when nobody
   * answers, ping 1 when no reply came). Such an exit must leave stderr empty: a peer that
   * complains on stderr did not run the check.
   */
  noAnswerCodes?: readonly number[];
}

export class ProgramError extends Error {
  constructor(
    readonly program: string,
    message: string,
  ) {
    super(`${program}: ${message}`);
    this.name = 'ProgramError';
  }
}

/** `ip netns exec` reports a program it could not start this way (exit code 1 or 255). */
const EXEC_FAILED = /^exec of "[^"]*" failed: (.*)$/m;

export function runProgram(program: string, args: readonly string[], o: RunOptions = {}): Promise<ProgramResult> {
  return runWrapped(program, program, args, o);
}

/** Runs `program` inside network namespace `netns` (through `ip netns exec`). */
export function runInNetns(
  netns: string,
  program: string,
  args: readonly string[],
  o: RunOptions = {},
): Promise<ProgramResult> {
  return runWrapped(program, 'ip', ['netns', 'exec', netns, program, ...args], o);
}

function runWrapped(name: string, file: string, args: readonly string[], o: RunOptions): Promise<ProgramResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const outcome = judge(name, err, stdout, stderr, timeoutMs, o.noAnswerCodes ?? []);
      if (outcome instanceof ProgramError) reject(outcome);
      else resolve(outcome);
    });
  });
}

type ExecError = import('node:child_process').ExecFileException | null;

function judge(
  name: string,
  err: ExecError,
  stdout: string,
  stderr: string,
  timeoutMs: number,
  noAnswerCodes: readonly number[],
): ProgramResult | ProgramError {
  if (!err) return { stdout, stderr, code: 0 };
  if (err.code === 'ENOENT') return new ProgramError(name, 'not installed (run hack/setup.sh)');
  const execFailed = EXEC_FAILED.exec(stderr);
  if (execFailed) return new ProgramError(name, `could not be started: ${execFailed[1]} (run hack/setup.sh)`);
  if (err.killed || err.signal) return new ProgramError(name, `no exit within ${timeoutMs} ms (signal ${err.signal})`);
  const code = typeof err.code === 'number' ? err.code : -1;
  if (noAnswerCodes.includes(code) && stderr.trim() === '') return { stdout, stderr, code };
  return new ProgramError(name, `exited with ${code}: ${(stderr || stdout).trim().slice(0, 500)}`);
}
