#!/usr/bin/env node
// The kubectl plugin: `kubectl lanlb status` runs `lanlb status` (kubectl finds kubectl-lanlb on PATH).
import '../dist/src/cli/entry.js';
