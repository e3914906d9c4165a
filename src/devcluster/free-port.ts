import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports are picked from here up to the kernel's ephemeral range. */
const LOWEST = 10_000;

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range. A port
 * the kernel picks (listen on port 0) comes from the range it also hands out as the source port of
 * outgoing connections, so a client of another process could take it before the server binds it:
 * kube-apiserver failed to start so in a CI run ("bind: address already in use").
 */
export async function freePort(): Promise<number> {
  const highest = Math.min(ephemeralLow(), 65_536) - 1;
  for (let tries = 0; tries < 50 && highest > LOWEST; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST));
    if (await listens(port)) return port;
  }
  return listens(0);
}

/** The lowest port of the kernel's ephemeral range (32768 when it cannot be read). */
export function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

/** Listens on `port` (0: the kernel picks) and closes again: the port, or 0 when it was taken. */
function listens(port: number): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', () => resolve(0));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const bound = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(bound));
    });
  });
}
