// The program runner that tests, the lab and benchmarks use must fail loudly, naming the program,
// instead of turning a missing or failing peer into empty output (issue 16).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runProgram, ProgramError } from '../../../src/devcluster/run-program.js';

const rejectsNaming = (p: Promise<unknown>, program: string, pattern: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ProgramError, String(err));
    assert.equal(err.program, program);
    assert.match(err.message, pattern);
    return true;
  });

describe('runProgram', () => {
  it('returns stdout of a program that succeeds', async () => {
    const r = await runProgram('sh', ['-c', 'echo hello']);
    assert.deepEqual(r, { stdout: 'hello\n', stderr: '', code: 0 });
  });

  it('names a program that is not installed', async () => {
    await rejectsNaming(runProgram('lanlb-no-such-program', []), 'lanlb-no-such-program', /not installed/);
  });

  it('fails on an exit code the caller did not declare as "no answer"', async () => {
    await rejectsNaming(
      runProgram('sh', ['-c', 'echo oops >&2; exit 3'], { noAnswerCodes: [1] }),
      'sh',
      /exited with 3: oops/,
    );
  });

  it('accepts a declared "no answer" exit that writes nothing to stderr', async () => {
    const r = await runProgram('sh', ['-c', 'echo Timeout; exit 1'], { noAnswerCodes: [1] });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'Timeout\n');
  });

  it('refuses a "no answer" exit that complains on stderr (the check did not run)', async () => {
    const run = runProgram('sh', ['-c', 'echo "no such device" >&2; exit 1'], { noAnswerCodes: [1] });
    await rejectsNaming(run, 'sh', /no such device/);
  });

  it('fails a program that does not exit within its timeout', async () => {
    await rejectsNaming(runProgram('sleep', ['5'], { timeoutMs: 100 }), 'sleep', /no exit within 100 ms/);
  });
});
