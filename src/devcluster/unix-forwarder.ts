// Runs inside a node's network namespace: listens on 127.0.0.1:PORT there and forwards each
// connection to a Unix socket, which crosses network namespaces. This is how announcers in
// test namespaces reach the apiserver without any address outside those namespaces.
// Usage: unix-forwarder <port> <socket-path>
import { connect, createServer } from 'node:net';
import { spliceSockets } from './splice-sockets.js';

const [port, socketPath] = process.argv.slice(2);
if (!port || !socketPath) {
  console.error('usage: unix-forwarder <port> <socket-path>');
  process.exit(2);
}
const server = createServer((client) => spliceSockets(client, connect(socketPath)));
server.listen(Number(port), '127.0.0.1', () => console.log('forwarding'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
