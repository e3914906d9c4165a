// `lanlb`: one executable, a subcommand per process (docs/contract.md, "The command"); also run
// as the kubectl plugin `kubectl lanlb` (bin/kubectl-lanlb.js).
import { UsageError } from './process-flags.js';

interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
  /** the command's --help text (completion reads its flags from it) */
  help(): Promise<string>;
}

const commands: Record<string, Command> = {
  controller: {
    summary: 'IPAM, pool and policy status, metrics and health (one leader at a time)',
    run: async (argv) => (await import('./controller-command.js')).controllerCommand(argv),
    help: async () => (await import('./controller-command.js')).controllerHelp,
  },
  announcer: {
    summary: 'the per-node layer-2 worker (DaemonSet, hostNetwork, NET_RAW)',
    run: async (argv) => (await import('./announcer-command.js')).announcerCommand(argv),
    help: async () => (await import('./announcer-command.js')).announcerHelp,
  },
  validate: {
    summary: 'check manifests offline against the CRD schemas and semantic rules (CI/GitOps)',
    run: async (argv) => (await import('./validate-command.js')).validateCommand(argv),
    help: async () => (await import('./validate-command.js')).validateHelp,
  },
  migrate: {
    summary: 'convert MetalLB and Cilium manifests into lanlb ones',
    run: async (argv) => (await import('./migrate-command.js')).migrateCommand(argv),
    help: async () => (await import('./migrate-command.js')).migrateHelp,
  },
  status: {
    summary: 'pools, Services, their holders and why anything waits (also: kubectl lanlb status)',
    run: async (argv) => (await import('./status-command.js')).statusCommand(argv),
    help: async () => (await import('./status-command.js')).statusHelp,
  },
  plan: {
    summary: 'preview what applying or deleting pools and policies does to every address (also: kubectl lanlb plan)',
    run: async (argv) => (await import('./plan-command.js')).planCommand(argv),
    help: async () => (await import('./plan-command.js')).planHelp,
  },
  lab: {
    summary: 'a local demonstration: apiserver, controller, 3 simulated nodes, real ARP (root)',
    run: async (argv) => (await importLab()).labCommand(argv),
    help: async () => (await importLab().catch(() => ({ labHelp: '' }))).labHelp,
  },
  completion: {
    summary: 'print a shell completion script: lanlb completion bash|zsh|fish',
    run: (argv) => completionCommand(argv),
    help: async () => (await import('./completion.js')).completionHelp,
  },
};

async function completionCommand(argv: string[]): Promise<number> {
  const { completionHelp, completionScript, SHELLS } = await import('./completion.js');
  const [shell, ...extra] = argv;
  if (shell === '--help' || shell === '-h') {
    console.log(completionHelp);
    return 0;
  }
  const known = SHELLS.find((s) => s === shell);
  if (!known || extra.length) throw new UsageError(`name one shell: ${SHELLS.join(', ')}`);
  const all = await Promise.all(
    Object.entries(commands).map(async ([name, c]) => ({ name, summary: c.summary, help: await c.help() })),
  );
  process.stdout.write(completionScript(known, all));
  return 0;
}

/** The lab is harness, not product: it ships in source checkouts (`npm run lab`), not in the image. */
async function importLab(): Promise<typeof import('../lab/lab-command.js')> {
  try {
    return await import('../lab/lab-command.js');
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new Error('the lab is not part of this installation: run it from a source checkout with `npm run lab`');
  }
}

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'lanlb: LoadBalancer IPs for bare-metal Kubernetes, announced on the LAN by ARP/NDP.',
    '',
    'Usage: lanlb <command> [flags]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Flags:',
    '  --help     this text',
    '  --version  the version of lanlb',
    '',
    "Run 'lanlb <command> --help' for a command's flags. Shell completion: 'lanlb completion bash|zsh|fish'.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    console.log((await import('./version.js')).version());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`lanlb: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`lanlb ${name}: ${(err as Error).message}\nRun 'lanlb ${name} --help' for usage.`);
      return 2;
    }
    console.error(`lanlb ${name}: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}
