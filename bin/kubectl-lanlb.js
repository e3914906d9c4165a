#!/usr/bin/env node
// The kubectl plugin: `kubectl lanlb status` runs `lanlb status`, `kubectl lanlb plan` runs `lanlb plan`
// (kubectl finds kubectl-lanlb on PATH and passes the rest of the command line).
import '../dist/src/cli/entry.js';
