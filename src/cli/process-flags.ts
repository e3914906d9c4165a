// Flags every long-running lanlb process shares. Defaults are documented in --help and tested.
import { isLogLevel } from '../observability/logger.js';
import type { LogLevel } from '../runtime/ports/logger.js';

export interface ProcessFlags {
  kubeconfig?: string;
  namespace: string;
  healthAddr: string;
  metricsAddr: string;
  logLevel: LogLevel;
}

export const DEFAULT_NAMESPACE = 'lanlb-system';

export const processFlagSpec = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string' },
  'health-addr': { type: 'string' },
  'metrics-addr': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const processFlagHelp = (defaults: { healthAddr: string; metricsAddr: string }): string => `
Kubernetes access:
  --kubeconfig PATH     kubeconfig file (else KUBECONFIG, ~/.kube/config, in-cluster)
  --namespace NS        namespace of lanlb's Leases and Events (env POD_NAMESPACE; default ${DEFAULT_NAMESPACE})
Serving:
  --health-addr ADDR    /healthz and /readyz (default ${defaults.healthAddr}; 0 disables)
  --metrics-addr ADDR   /metrics in Prometheus format (default ${defaults.metricsAddr}; 0 disables)
  --log-level LEVEL     debug, info, warn or error (default info); logs are JSON lines on stderr`;

export function readProcessFlags(
  values: Record<string, string | boolean | string[] | undefined>,
  defaults: { healthAddr: string; metricsAddr: string },
  env: NodeJS.ProcessEnv = process.env,
): ProcessFlags {
  const logLevel = String(values['log-level'] ?? 'info');
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be debug, info, warn or error, not ${logLevel}`);
  return {
    kubeconfig: values.kubeconfig as string | undefined,
    namespace: (values.namespace as string | undefined) ?? env.POD_NAMESPACE ?? DEFAULT_NAMESPACE,
    healthAddr: (values['health-addr'] as string | undefined) ?? defaults.healthAddr,
    metricsAddr: (values['metrics-addr'] as string | undefined) ?? defaults.metricsAddr,
    logLevel,
  };
}

/**
 * `:port` bound to `hostIP` instead of every interface. The announcer runs on the host network:
 * on all addresses its endpoints would answer on the LAN, and with kube-proxy in IPVS mode on the
 * VIPs too (docs/contract.md "Listening"). An address that names a host already, or no host IP, is kept.
 */
export function onHostIP(addr: string, hostIP: string | undefined): string {
  if (!hostIP || !addr.startsWith(':')) return addr;
  return `${hostIP.includes(':') ? `[${hostIP}]` : hostIP}${addr}`;
}

/** A mistake in the command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
