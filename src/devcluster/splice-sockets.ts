import type { Socket } from 'node:net';

/** Pipes two sockets into each other; either ending or failing closes both. */
export function spliceSockets(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  const close = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close);
  b.on('error', close);
}
