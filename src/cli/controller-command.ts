// `lanlb controller`: connects, elects one active replica through the Lease `lanlb-controller`,
// and serves health and metrics. The IPAM and status reconcilers run on the leader.
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { processFlagHelp, processFlagSpec, readProcessFlags } from './process-flags.js';
import { runLongRunning } from './long-running.js';
import { KubeLeaseStore } from '../runtime/lease-store.js';
import { LeaseElector } from '../runtime/lease-elector.js';

export const CONTROLLER_DEFAULTS = { healthAddr: ':8081', metricsAddr: ':8080' };
export const CONTROLLER_LEASE = 'lanlb-controller';

export const controllerHelp = `Usage: lanlb controller [flags]

Runs lanlb's controller. Replicas elect one leader through the Lease ${CONTROLLER_LEASE} in
--namespace; only the leader writes. It serves /healthz, /readyz and /metrics and stops
cleanly on SIGTERM.

Status: this build connects, elects and serves health and metrics; pool IPAM and the
pool/policy status reconcilers are not in it yet.
${processFlagHelp(CONTROLLER_DEFAULTS)}
Identity:
  --identity NAME       this replica's name in the Lease (env POD_NAME; default the hostname)
`;

export async function controllerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...processFlagSpec, identity: { type: 'string' } }, strict: true });
  if (values.help) {
    console.log(controllerHelp);
    return 0;
  }
  const flags = readProcessFlags(values, CONTROLLER_DEFAULTS);
  const identity = values.identity ?? process.env.POD_NAME ?? hostname();
  return runLongRunning('controller', flags, ({ http, log }) => {
    const elector = new LeaseElector({
      store: new KubeLeaseStore(http), namespace: flags.namespace, name: CONTROLLER_LEASE, identity,
      onStartedLeading: () => log.info('leading', { identity }),
      onStoppedLeading: () => log.info('stopped leading', { identity }),
      onNewLeader: (leader) => log.info('leader', { leader }),
      onError: (err) => log.warn('lease', { error: err }),
    });
    return { run: (signal) => elector.run(signal), ready: () => true };
  });
}
