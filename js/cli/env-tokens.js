/**
 * The sealed .env value: a token `enveil:v2:<base64url>` holding a complete
 * sealed stream (sealed-header.js) whose context is `env:NAME`, or
 * `env:NAME:CONTEXT` with --context, and whose plaintext is the value as
 * written in the .env file (quotes, escapes and line breaks included; v1,
 * never published, held the value as parsed). `env seal`/`env open` write and read
 * tokens (sealed-env.js); rotate re-wraps them in place and audit reads their
 * headers, so the format is written down once, here.
 * @module
 */
import { CliError, EXIT } from './exit.js';
import { parseSealed } from './master.js';
import { parseDotEnv } from './dotenv.js';

const TOKEN_PREFIX = 'enveil:v2:';
const TOKEN = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]+$`);
const encoder = new TextEncoder();

/** @param {string} value */
export const isToken = (value) => TOKEN.test(value);

/**
 * The token of a sealed stream.
 * @param {Uint8Array} stream
 */
export function toToken(stream) {
  return TOKEN_PREFIX + Buffer.from(stream.buffer, stream.byteOffset, stream.length).toString('base64url');
}

/**
 * The bytes of a token (its stream), or null when it is not a token.
 * @param {string} token
 */
export function tokenBytes(token) {
  if (!isToken(token)) return null;
  return new Uint8Array(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url'));
}

/**
 * A token's stream and the start of it (key-service block, if any, and
 * header) parsed; exit 1 when that does not parse.
 * @param {string} where e.g. "file:12 NAME", for messages
 * @param {string} token
 */
export function readToken(where, token) {
  const bytes = /** @type {Uint8Array} */ (tokenBytes(token));
  const sealed = parseSealed(bytes);
  if (sealed === null) throw new CliError(EXIT.AUTH, `${where}: the sealed value is damaged`);
  return { bytes, sealed, info: sealed.info, header: sealed.header };
}

/**
 * The context a variable's token is bound to.
 * @param {string} name
 * @param {string | undefined} context
 */
export function envContext(name, context) {
  return encoder.encode(context ? `env:${name}:${context}` : `env:${name}`);
}

/**
 * The assignments of a .env text whose values are tokens; none when the text
 * is not a .env file. For rotate and audit, which take a sealed stream or a
 * sealed .env file: a text that does not parse is neither.
 * @param {string} text
 * @param {string} name
 * @returns {import('./dotenv.js').Assignment[]}
 */
export function tokensIn(text, name) {
  try {
    return assignments(parseDotEnv(text, name)).filter((e) => isToken(e.value));
  } catch {
    return [];
  }
}

/** @param {import('./dotenv.js').DotEnv} env */
export function assignments(env) {
  return env.entries;
}
