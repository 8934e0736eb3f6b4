#!/usr/bin/env node
// The CLI is compiled by `npm ci` (the `prepare` script); this shim only loads it.
import '../dist/src/cli/main.js';
