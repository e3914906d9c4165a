// --import hook for tests: prints every module URL loaded after it, one per line on stderr
// ("module URL"), so a test can tell which modules a program pulls in.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(
      'export async function load(url, context, next) {' +
        ' process.stderr.write(`module ${url}\\n`); return next(url, context); }',
    ),
);
