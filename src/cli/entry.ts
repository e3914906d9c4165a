// Process entry: `node dist/src/cli/entry.js <command>` (bin/lanlb.js) or `tsx src/cli/entry.ts`.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
