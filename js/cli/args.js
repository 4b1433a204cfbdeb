/**
 * Argument parsing shared by the commands (node:util parseArgs): options,
 * positionals and the values that need checking (chunk size, context, key
 * path), each refused with exit 2 and a pointer to the command's help.
 * @module
 */
import { parseArgs } from 'node:util';
import * as core from '../stream-format.js';
import { CliError, EXIT } from './exit.js';
import { HELP } from './help-text.js';

const HELP_OPTION = { help: { type: /** @type {const} */ ('boolean'), short: 'h' } };

/** The options of the commands that use a key on one input. */
export const KEY_OPTIONS = {
  'key-path': { type: /** @type {const} */ ('string') },
  kek: { type: /** @type {const} */ ('string') },
  context: { type: /** @type {const} */ ('string') },
  output: { type: /** @type {const} */ ('string'), short: 'o' },
};

/**
 * @template {import('node:util').ParseArgsConfig['options'] & object} T
 * @param {string} command for messages
 * @param {string[]} args
 * @param {T} options
 */
export function parse(command, args, options) {
  try {
    const config = { args, options: { ...options, ...HELP_OPTION }, allowPositionals: /** @type {const} */ (true), strict: /** @type {const} */ (true) };
    return parseArgs(config);
  } catch (err) {
    throw new CliError(EXIT.USAGE, `${/** @type {Error} */ (err).message.replace(/\. To specify a positional.*$/s, '')}\nSee: enveil ${command} --help`);
  }
}

/**
 * The one input file, if any.
 * @param {string} command
 * @param {string[]} positionals
 * @param {number} max
 */
export function atMost(command, positionals, max) {
  if (positionals.length > max) {
    throw new CliError(EXIT.USAGE, `enveil ${command} takes at most ${max} input file, got ${positionals.length}\nSee: enveil ${command} --help`);
  }
  return positionals[0];
}

/**
 * Writes the help of `topic` to `out`.
 * @param {string} topic a command, or 'main'
 * @param {(text: string) => void} out
 */
export function showHelp(topic, out) {
  out(HELP[topic] ?? HELP.main);
  return EXIT.OK;
}

/** @param {string | undefined} text */
export function chunkSizeArg(text) {
  const { defaultChunkBytes, minChunkBytes, maxChunkBytes } = core.sizes();
  if (text === undefined) return defaultChunkBytes;
  const m = /^(\d+)([KkMm]?)$/.exec(text);
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : /[Kk]/.test(m[2] ?? '') ? 1024 : 1024 * 1024) : NaN;
  if (!(n >= minChunkBytes && n <= maxChunkBytes)) {
    throw new CliError(EXIT.USAGE, `--chunk-size must be ${minChunkBytes} to ${maxChunkBytes} bytes (K and M suffixes allowed), got ${JSON.stringify(text)}`);
  }
  return n;
}

/**
 * The --context bytes (at most the format's limit).
 * @param {string | undefined} context
 */
export function contextArg(context) {
  const bytes = new TextEncoder().encode(context ?? '');
  const max = core.sizes().maxContextBytes;
  if (bytes.length > max) throw new CliError(EXIT.USAGE, `--context must be at most ${max} bytes of UTF-8, got ${bytes.length}`);
  return bytes;
}

/** @param {Record<string, unknown>} values */
export const keyPathOf = (values) => /** @type {string | undefined} */ (values['key-path']) ?? process.env.ENVEIL_KEY_PATH;

/**
 * Where a command writes: stdout and stderr, passed in by main.js.
 * @typedef {{ out: (text: string) => void, err: (text: string) => void }} CommandIO
 */
