#!/usr/bin/env node
// The `enveil` command (package.json "bin"). See `enveil --help` and the
// README's "Command line" section.
import { main } from '../js/cli/main.js';

// A closed stdout (e.g. `enveil open … | head`) must not crash the process
// with an unhandled 'error' event: writes report it to the command instead.
process.stdout.on('error', () => {});

const code = await main(process.argv.slice(2));
// Exit once stdout has taken everything written to it.
process.stdout.write('', () => process.exit(code));
