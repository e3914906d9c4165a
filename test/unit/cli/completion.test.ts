// `lanlb completion bash|zsh|fish`: every command and its flags, read from the help texts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completionScript, flagsOf } from '../../../src/cli/completion.js';
import { main, usage } from '../../../src/cli/main.js';
import { statusHelp } from '../../../src/cli/status-command.js';

const commands = [
  { name: 'status', summary: 'pools, Services and holders', help: statusHelp },
  { name: 'validate', summary: 'check manifests', help: 'Usage: lanlb validate FILE...\n' },
];

async function captured(argv: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  const log = console.log;
  let out = '';
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  console.log = (...a: unknown[]) => void (out += `${a.join(' ')}\n`);
  try {
    return { code: await main(argv), out };
  } finally {
    process.stdout.write = write;
    console.log = log;
  }
}

describe('lanlb completion', () => {
  it('reads long flags from option lines of a help text', () => {
    assert.deepEqual(flagsOf(statusHelp).sort(), [
      '--all-namespaces',
      '--context',
      '--help',
      '--kubeconfig',
      '--lanlb-namespace',
      '--load-balancer-class',
      '--namespace',
      '--output',
    ]);
  });

  it('bash: completes commands, then the flags of the command, in a real bash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanlb-completion-'));
    try {
      const script = join(dir, 'c.bash');
      writeFileSync(script, completionScript('bash', commands));
      const run = (words: string[]): string[] => {
        const cmd =
          `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); ` +
          `COMP_CWORD=${words.length - 1}; _lanlb; printf '%s\\n' "\${COMPREPLY[@]}"`;
        return execFileSync('bash', ['-c', cmd], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
      };
      assert.deepEqual(run(['lanlb', 'st']), ['status'], 'the command name');
      assert.deepEqual(run(['lanlb', 'status', '--all']), ['--all-namespaces'], "the command's flag");
      assert.deepEqual(run(['lanlb', 'completion', 'z']), ['zsh'], 'the shells');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('zsh and fish scripts name every command and flag', () => {
    const zsh = completionScript('zsh', commands);
    assert.match(zsh, /^#compdef lanlb kubectl-lanlb/, 'zsh autoload header');
    assert.match(zsh, /'status:pools, Services and holders'/);
    assert.match(zsh, /'--all-namespaces'/);
    const fish = completionScript('fish', commands);
    assert.match(fish, /-a status -d 'pools, Services and holders'/);
    assert.match(fish, /__fish_seen_subcommand_from status" -l all-namespaces/);
    const bashOk = spawnSync('bash', ['-n'], { input: completionScript('bash', commands) });
    assert.equal(bashOk.status, 0, `bash parses the script: ${bashOk.stderr}`);
  });

  it('completion bash covers every real command; --help lists completion and --version', async () => {
    const r = await captured(['completion', 'bash']);
    assert.equal(r.code, 0, 'exit 0');
    for (const name of ['controller', 'announcer', 'validate', 'migrate', 'status', 'lab', 'completion'])
      assert.match(r.out, new RegExp(`\\b${name}\\)`), `case for ${name}`);
    assert.match(r.out, /announcer\) flags="[^"]*--node-name/, "the announcer's --node-name from its help");
    assert.match(usage(), /^ {2}completion +print a shell completion script/m);
    assert.match(usage(), /^ {2}status +/m);
    assert.match(usage(), /--version/);
    const bad = await main(['completion', 'tcsh']).catch(() => 'threw');
    assert.equal(bad, 2, 'an unknown shell is a usage error');
  });
});
