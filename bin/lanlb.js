#!/usr/bin/env node
// Entry point for `npx lanlb` after `npm run build`.
import '../dist/src/cli/entry.js';
