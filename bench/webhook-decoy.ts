// A stand-in for the controller's webhook endpoint: the same WebhookServer, alone in a process,
// so an attack on it loads the machine as an attack on the controller does without touching the
// controller. Prints its port, serves until killed.
import { WebhookServer } from '../src/webhook/server.js';
import { createCA, createServingCert } from '../src/webhook/certificates.js';
import { createLogger } from '../src/observability/logger.js';

const server = new WebhookServer(createLogger('error'));
const ca = createCA();
const serving = createServingCert(ca, ['127.0.0.1']);
server.useCertificate(serving.cert, serving.key);
const address = await server.listen('127.0.0.1', 0);
console.log(address.split(':').pop());
