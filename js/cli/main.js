/**
 * The `enveil` command line: top-level options, dispatch to the commands
 * (commands/), and the mapping of every failure to a message on stderr and a
 * documented exit code (exit.js). Messages name files, key ids and contexts,
 * never key material or plaintext.
 * @module
 */
import { readFileSync } from 'node:fs';
import { EnveilError } from '../errors.js';
import { auditCommand } from './commands/audit.js';
import { envCommand } from './commands/env.js';
import { helpCommand } from './commands/help.js';
import { keygenCommand } from './commands/keygen.js';
import { openCommand } from './commands/open.js';
import { rotateCommand } from './commands/rotate.js';
import { sealCommand } from './commands/seal.js';
import { tokenCommand } from './commands/token.js';
import { CliError, EXIT } from './exit.js';
import { HELP } from './help-text.js';

/** @type {Record<string, (args: string[], io: import('./args.js').CommandIO) => Promise<number>>} */
const COMMANDS = {
  keygen: keygenCommand,
  seal: sealCommand,
  open: openCommand,
  env: envCommand,
  rotate: rotateCommand,
  audit: auditCommand,
  token: tokenCommand,
  help: helpCommand,
};

/** @type {import('./args.js').CommandIO} */
const io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Runs one command line; resolves to the exit code.
 * @param {string[]} argv without the node and script paths
 * @returns {Promise<number>}
 */
export async function main(argv) {
  try {
    return await run(argv);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`enveil: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof EnveilError) {
      io.err(`enveil: ${e.message} (${e.code})\n`);
      return EXIT.INTERNAL;
    }
    io.err(`enveil: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return EXIT.INTERNAL;
  }
}

/** @param {string[]} argv */
async function run(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    io.out(HELP.main);
    return command === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (command === '--version' || command === '-V') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    io.out(`enveil ${pkg.version}\n`);
    return EXIT.OK;
  }
  const commandFn = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (commandFn === undefined) throw new CliError(EXIT.USAGE, `no such command: ${command}\nSee: enveil --help`);
  return commandFn(rest, io);
}
