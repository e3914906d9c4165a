// Which pcap package is installed, read without loading the addon: the main thread of the
// announcer must not load it, or its answer thread cannot (a NAN addon registers in one thread
// of a process only: "Module did not self-register", found by the cluster e2e). So this module
// imports nothing of pcap.
import { createRequire } from 'node:module';

/**
 * The interface this code expects of the addon (packages/pcap/lanlb_answer.h LANLB_PCAP_ABI): a
 * plain node_pcap, or a build of another lanlb version, is refused with a message that says so,
 * instead of failing later on a missing method.
 */
export const LANLB_PCAP_ABI = 5;

/**
 * node_modules/pcap is lanlb's package with the interface this code expects (its package.json's
 * `lanlbAbi`), read without loading the addon: the main thread must not load it, or the answer
 * thread cannot (a NAN addon registers in one thread of a process only).
 */
export function checkPcapPackage(): void {
  const pkg = createRequire(import.meta.url)('pcap/package.json') as { version?: string; lanlbAbi?: number };
  if (pkg.lanlbAbi !== LANLB_PCAP_ABI)
    throw new Error(
      `node_modules/pcap is not lanlb's (pcap@${pkg.version}, interface ${String(pkg.lanlbAbi)}, expected ` +
        `${LANLB_PCAP_ABI}): it must be lanlb's packages/pcap, built at install; reinstall with npm ci`,
    );
}
