#!/usr/bin/env node
// fleet's entry point. `fleet --version` is answered here, before the commands are loaded:
// loading them (hundreds of modules) is most of fleet's start-up, and a version check (scripts,
// `fleet --version` in CI) needs none of it. Everything else is cli.ts.
import { versionLine } from './version.js';

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') process.stdout.write(`${versionLine()}\n`);
else void import('./cli.js');
