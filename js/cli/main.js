/**
 * The `enveil` command line: argument parsing (node:util parseArgs),
 * dispatch, and the mapping of every failure to a message on stderr and a
 * documented exit code (exit.js). Messages name files, key ids and contexts,
 * never key material or plaintext.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EnveilError } from '../errors.js';
import { auditCommand } from './audit.js';
import * as core from '../stream-format.js';
import { openEnv, sealEnv } from './env.js';
import { CliError, EXIT } from './exit.js';
import { readText, writeText } from './files.js';
import { HELP } from './help.js';
import { loadKey, writeNewKey } from './keys.js';
import { rotateCommand } from './rotate.js';
import { contextArg, openCommand, sealCommand } from './seal.js';

const HELP_OPTION = { help: { type: /** @type {const} */ ('boolean'), short: 'h' } };
const KEY_OPTIONS = {
  'key-path': { type: /** @type {const} */ ('string') },
  context: { type: /** @type {const} */ ('string') },
  output: { type: /** @type {const} */ ('string'), short: 'o' },
};

/**
 * @template {import('node:util').ParseArgsConfig['options'] & object} T
 * @param {string} command for messages
 * @param {string[]} args
 * @param {T} options
 */
function parse(command, args, options) {
  try {
    const config = { args, options: { ...options, ...HELP_OPTION }, allowPositionals: /** @type {const} */ (true), strict: /** @type {const} */ (true) };
    return parseArgs(config);
  } catch (err) {
    throw new CliError(EXIT.USAGE, `${/** @type {Error} */ (err).message.replace(/\. To specify a positional.*$/s, '')}\nSee: enveil ${command} --help`);
  }
}

/**
 * @param {string} command
 * @param {string[]} positionals
 * @param {number} max
 */
function atMost(command, positionals, max) {
  if (positionals.length > max) {
    throw new CliError(EXIT.USAGE, `enveil ${command} takes at most ${max} input file, got ${positionals.length}\nSee: enveil ${command} --help`);
  }
  return positionals[0];
}

/** @param {string | undefined} text */
function chunkSizeArg(text) {
  const { defaultChunkBytes, minChunkBytes, maxChunkBytes } = core.sizes();
  if (text === undefined) return defaultChunkBytes;
  const m = /^(\d+)([KkMm]?)$/.exec(text);
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : /[Kk]/.test(m[2] ?? '') ? 1024 : 1024 * 1024) : NaN;
  if (!(n >= minChunkBytes && n <= maxChunkBytes)) {
    throw new CliError(EXIT.USAGE, `--chunk-size must be ${minChunkBytes} to ${maxChunkBytes} bytes (K and M suffixes allowed), got ${JSON.stringify(text)}`);
  }
  return n;
}

/** @param {Record<string, unknown>} values */
const keyPathOf = (values) => /** @type {string | undefined} */ (values['key-path']) ?? process.env.ENVEIL_KEY_PATH;

/** @param {string} text */
const out = (text) => process.stdout.write(text);
/** @param {string} text */
const err = (text) => process.stderr.write(text);

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
      err(`enveil: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof EnveilError) {
      err(`enveil: ${e.message} (${e.code})\n`);
      return EXIT.INTERNAL;
    }
    err(`enveil: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return EXIT.INTERNAL;
  }
}

/** @param {string[]} argv */
async function run(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    out(HELP.main);
    return command === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (command === '--version' || command === '-V') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    out(`enveil ${pkg.version}\n`);
    return EXIT.OK;
  }
  if (command === 'help') {
    const topic = rest[0] ?? 'main';
    if (!(Object.hasOwn(HELP, topic))) throw new CliError(EXIT.USAGE, `no such command: ${topic}\nSee: enveil --help`);
    out(HELP[topic] ?? '');
    return EXIT.OK;
  }
  switch (command) {
    case 'keygen': {
      const { values, positionals } = parse(command, rest, { dir: { type: 'string' }, id: { type: 'string' } });
      if (values.help) return help(command);
      if (positionals.length > 0) throw new CliError(EXIT.USAGE, 'enveil keygen takes no arguments\nSee: enveil keygen --help');
      await core.init();
      const key = await writeNewKey(values.dir ?? '.', values.id);
      key.bytes.fill(0);
      out(`${key.path}\n`);
      return EXIT.OK;
    }
    case 'seal':
    case 'open': {
      const options = command === 'seal' ? { ...KEY_OPTIONS, 'chunk-size': { type: /** @type {const} */ ('string') } } : KEY_OPTIONS;
      const { values, positionals } = parse(command, rest, options);
      if (values.help) return help(command);
      const input = atMost(command, positionals, 1);
      await core.init();
      const context = contextArg(values.context);
      const chunkBytes = chunkSizeArg(/** @type {string | undefined} */ (/** @type {Record<string, unknown>} */ (values)['chunk-size']));
      const key = await loadKey(keyPathOf(values));
      try {
        if (command === 'seal') await sealCommand({ input, output: values.output, key, context, chunkBytes });
        else await openCommand({ input, output: values.output, key, context });
      } finally {
        key.bytes.fill(0);
      }
      return EXIT.OK;
    }
    case 'env':
      return envCommand(rest);
    case 'rotate': {
      const { values, positionals } = parse(command, rest, { 'key-path': { type: 'string' }, 'new-key': { type: 'string' } });
      if (values.help) return help(command);
      if (positionals.length === 0) throw new CliError(EXIT.USAGE, 'enveil rotate needs at least one FILE\nSee: enveil rotate --help');
      await core.init();
      return rotateCommand({
        oldKeyPath: keyPathOf(values),
        newKeyPath: values['new-key'],
        files: positionals,
        report: (line) => out(`${line}\n`),
        fail: (line) => err(`enveil rotate: ${line}\n`),
      });
    }
    case 'audit': {
      const { values, positionals } = parse(command, rest, { json: { type: 'boolean' } });
      if (values.help) return help(command);
      if (positionals.length !== 1) throw new CliError(EXIT.USAGE, 'enveil audit takes exactly one FILE\nSee: enveil audit --help');
      await core.init();
      return auditCommand({ file: /** @type {string} */ (positionals[0]), json: values.json ?? false, write: out });
    }
    default:
      throw new CliError(EXIT.USAGE, `no such command: ${command}\nSee: enveil --help`);
  }
}

/** @param {string} command */
function help(command) {
  out(HELP[command] ?? HELP.main);
  return EXIT.OK;
}

/** @param {string[]} args */
async function envCommand(args) {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out(HELP.env);
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (sub !== 'seal' && sub !== 'open') throw new CliError(EXIT.USAGE, `no such command: env ${sub}\nSee: enveil env --help`);
  const options = sub === 'open' ? { ...KEY_OPTIONS, 'allow-plain': { type: /** @type {const} */ ('boolean') } } : KEY_OPTIONS;
  const { values, positionals } = parse(`env ${sub}`, rest, options);
  if (values.help) return help('env');
  const input = atMost(`env ${sub}`, positionals, 1);
  await core.init();
  const key = await loadKey(keyPathOf(values));
  try {
    const name = input === undefined || input === '-' ? 'stdin' : input;
    const text = await readText(input);
    if (sub === 'seal') {
      const sealed = sealEnv({ text, name, key, context: values.context });
      await writeText(values.output, sealed.text, 0o666);
      err(`enveil: sealed ${sealed.sealed} values${sealed.kept ? ` (${sealed.kept} already sealed)` : ''}\n`);
    } else {
      const allowPlain = Boolean(/** @type {Record<string, unknown>} */ (values)['allow-plain']);
      const opened = openEnv({ text, name, key, context: values.context, allowPlain });
      await writeText(values.output, opened.text, 0o600);
      err(`enveil: opened ${opened.opened} values${opened.plain ? ` (${opened.plain} were plain)` : ''}\n`);
    }
  } finally {
    key.bytes.fill(0);
  }
  return EXIT.OK;
}
