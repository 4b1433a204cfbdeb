/**
 * The `enveil` command line: top-level options, dispatch to the commands
 * (commands/), and the mapping of every failure to a message on stderr and a
 * documented exit code (exit.js). Messages name files, key ids and contexts,
 * never key material or plaintext.
 * @module
 */
import { readFileSync } from 'node:fs';
import { EnveilError } from '../errors.js';
import { setPayloadDecoder } from '../internal/wasm.js';
import { inflatePayload } from '../node/inflate-payload.js';
import { CliError, EXIT } from './exit.js';
import { HELP } from './help-text.js';

/**
 * Each command's module, loaded when that command runs: a `seal` or `open`
 * does not load the token vault, the store and fake-indexeddb (about 60 ms
 * of a process's start).
 * @type {Record<string, () => Promise<(args: string[], io: import('./args.js').CommandIO) => Promise<number>>>}
 */
const COMMANDS = {
  keygen: async () => (await import('./commands/keygen.js')).keygenCommand,
  seal: async () => (await import('./commands/seal.js')).sealCommand,
  open: async () => (await import('./commands/open.js')).openCommand,
  env: async () => (await import('./commands/env.js')).envCommand,
  rotate: async () => (await import('./commands/rotate.js')).rotateCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  token: async () => (await import('./commands/token.js')).tokenCommand,
  help: async () => (await import('./commands/help.js')).helpCommand,
};

setPayloadDecoder(inflatePayload);

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
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load === undefined) throw new CliError(EXIT.USAGE, `no such command: ${command}\nSee: enveil --help`);
  return (await load())(rest, io);
}
