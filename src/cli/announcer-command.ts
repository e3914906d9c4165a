// `lanlb announcer`: the per-node layer-2 worker.
import { parseArgs } from 'node:util';
import { processFlagHelp, processFlagSpec, readProcessFlags, UsageError } from './process-flags.js';
import { runLongRunning } from './long-running.js';

export const ANNOUNCER_DEFAULTS = { healthAddr: ':7473', metricsAddr: ':7472' };

export const announcerHelp = `Usage: lanlb announcer --node-name NODE [flags]

Runs lanlb's announcer on one node (DaemonSet with hostNetwork and NET_RAW). It serves
/healthz, /readyz and /metrics and stops cleanly on SIGTERM.

Status: this build connects and serves health and metrics; Lease election and ARP/NDP
answering are not in it yet.
${processFlagHelp(ANNOUNCER_DEFAULTS)}
Node:
  --node-name NODE      the Node this announcer runs on (env NODE_NAME; required)
`;

export async function announcerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...processFlagSpec, 'node-name': { type: 'string' } }, strict: true });
  if (values.help) {
    console.log(announcerHelp);
    return 0;
  }
  const flags = readProcessFlags(values, ANNOUNCER_DEFAULTS);
  const nodeName = values['node-name'] ?? process.env.NODE_NAME;
  if (!nodeName) throw new UsageError('--node-name or NODE_NAME is required');
  return runLongRunning('announcer', flags, ({ log }) => {
    log.info('node', { node: nodeName });
    return {
      run: (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      ready: () => true,
    };
  });
}
