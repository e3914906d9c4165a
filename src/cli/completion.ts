// `lanlb completion bash|zsh|fish`: shell completion for the subcommands and their flags. The
// flags are read from each command's --help text, so a flag added there completes without a
// second list to keep in step.

export interface CompletionCommand {
  name: string;
  summary: string;
  help: string;
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export const completionHelp = `Usage: lanlb completion bash|zsh|fish

Prints a shell completion script for lanlb (and kubectl-lanlb) on standard output.

  bash:  source <(lanlb completion bash)       or save it in /etc/bash_completion.d/lanlb
  zsh:   lanlb completion zsh > "\${fpath[1]}/_lanlb"   (then start a new shell)
  fish:  lanlb completion fish > ~/.config/fish/completions/lanlb.fish
`;

/** Long flags of a help text: every `--flag` that starts an option line (`  -n, --namespace NS ...`). */
export function flagsOf(help: string): string[] {
  const flags = new Set<string>();
  for (const line of help.split('\n')) {
    const m = /^\s+(?:-[a-zA-Z], )?(--[a-z][a-z0-9-]*)/.exec(line);
    if (m?.[1]) flags.add(m[1]);
  }
  flags.add('--help');
  return [...flags];
}

export function completionScript(shell: Shell, commands: readonly CompletionCommand[]): string {
  if (shell === 'bash') return bashScript(commands);
  if (shell === 'zsh') return zshScript(commands);
  return fishScript(commands);
}

function bashScript(commands: readonly CompletionCommand[]): string {
  const cases = commands.map((c) => `    ${c.name}) flags="${flagsOf(c.help).join(' ')}" ;;`).join('\n');
  return `# bash completion for lanlb (lanlb completion bash)
_lanlb() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd=\${COMP_WORDS[1]} flags=""
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} --help --version" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
  esac
  if [[ $cmd == completion && $COMP_CWORD -eq 2 ]]; then
    COMPREPLY=($(compgen -W "${SHELLS.join(' ')}" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _lanlb lanlb kubectl-lanlb
`;
}

const quote = (s: string): string => s.replace(/'/g, `'\\''`).replace(/:/g, '\\:');

function zshScript(commands: readonly CompletionCommand[]): string {
  const list = commands.map((c) => `    '${c.name}:${quote(c.summary)}'`).join('\n');
  const cases = commands.map(
    (c) =>
      `    ${c.name}) _arguments ${flagsOf(c.help)
        .map((f) => `'${f}'`)
        .join(' ')} '*:file:_files' ;;`,
  );
  return `#compdef lanlb kubectl-lanlb
# zsh completion for lanlb (lanlb completion zsh)
_lanlb() {
  local -a commands
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
    completion) _values 'shell' ${SHELLS.join(' ')} ;;
${cases.filter((_, i) => commands[i]?.name !== 'completion').join('\n')}
  esac
}
compdef _lanlb lanlb kubectl-lanlb
`;
}

function fishScript(commands: readonly CompletionCommand[]): string {
  const names = commands.map((c) => c.name).join(' ');
  const lines = commands.flatMap((c) => [
    `complete -c $cmd -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} ` +
      `-d '${c.summary.replace(/'/g, "\\'")}'`,
    ...flagsOf(c.help).map((f) => `complete -c $cmd -n "__fish_seen_subcommand_from ${c.name}" -l ${f.slice(2)}`),
  ]);
  return `# fish completion for lanlb (lanlb completion fish)
for cmd in lanlb kubectl-lanlb
complete -c $cmd -f
complete -c $cmd -n "__fish_seen_subcommand_from completion" -a "${SHELLS.join(' ')}"
${lines.join('\n')}
end
`;
}
