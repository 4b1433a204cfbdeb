/**
 * What the commands know about a sealed stream's header (src/stream_format.h)
 * before and while a key is used: recognising the magic, reading the header
 * off an input, checking the key id and context it names, and opening or
 * re-wrapping it, each failure mapped to its exit code and a message that
 * says which check failed. A .env token holds the same stream
 * (env-tokens.js).
 * @module
 */
import { EnveilError } from '../errors.js';
import * as core from '../stream-format.js';
import { CliError, EXIT, quote } from './exit.js';

/** @typedef {import('./key-file.js').MasterKey} MasterKey */

const MAGIC = new TextEncoder().encode('ENVEIL');

/**
 * Whether `bytes` start with the magic of a sealed stream (which says nothing
 * yet about the rest of the header).
 * @param {Uint8Array} bytes
 */
export function hasMagic(bytes) {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Whether `source` starts as a sealed stream; reads nothing away.
 * @param {import('./io/source.js').Source} source
 */
export async function startsWithMagic(source) {
  const start = await source.read(MAGIC.length);
  source.unread(start);
  return hasMagic(start);
}

/**
 * Reads and parses the header at the start of `source`, leaving the body to
 * read. Throws CliError (exit 1) when there is no v1 header.
 * @param {import('./io/source.js').Source} source
 */
export async function readHeader(source) {
  const prefix = await source.read(core.sizes().maxHeaderBytes);
  const info = core.parseHeader(prefix);
  if (info === null) throw notSealed(source.name, prefix);
  source.unread(prefix.subarray(info.size));
  return { header: prefix.slice(0, info.size), info };
}

/**
 * @param {string} name
 * @param {Uint8Array} prefix the first bytes of the input
 */
export function notSealed(name, prefix) {
  return new CliError(EXIT.AUTH, hasMagic(prefix)
    ? `${name}: the enveil header is damaged, truncated or of an unknown version`
    : `${name} is not an enveil sealed file`);
}

/**
 * Checks what a header names before any key is used: the key id (exit 3)
 * and the context (exit 1), with messages that say which is which.
 * @param {string} name
 * @param {core.HeaderInfo} info
 * @param {MasterKey} key
 * @param {Uint8Array} context
 */
export function checkHeaderNames(name, info, key, context) {
  if (info.keyId !== key.id) {
    throw new CliError(EXIT.KEY, `${name} is sealed under key id ${quote(info.keyId)}; --key-path gives ${quote(key.id)}`);
  }
  if (!sameBytes(info.context, context)) {
    const stored = new TextDecoder().decode(info.context);
    const given = new TextDecoder().decode(context);
    throw new CliError(EXIT.AUTH, `${name} was sealed with context ${quote(stored)}; ${context.length ? `--context gives ${quote(given)}` : 'no --context was given'}`);
  }
}

/**
 * The stream key of a header whose names were checked; exit 1 when it does
 * not authenticate.
 * @param {string} name
 * @param {MasterKey} key
 * @param {Uint8Array} header
 */
export function beginOpen(name, key, header) {
  try {
    return core.openBegin(key.bytes, key.id, header);
  } catch (err) {
    throw authFailureAsExit(err, name, key);
  }
}

/**
 * `header` re-wrapped from `oldKey` to `newKey` (rotate), after checking that
 * it names the old key: exit 3 when it names neither, exit 1 when it does not
 * authenticate under the old key.
 * @param {string} name
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {Uint8Array} header
 * @param {core.HeaderInfo} info
 */
export function rewrap(name, oldKey, newKey, header, info) {
  if (info.keyId !== oldKey.id) {
    throw new CliError(EXIT.KEY, `${name} is sealed under key id ${quote(info.keyId)}, neither ${quote(oldKey.id)} (--key-path) nor ${quote(newKey.id)} (the new key)`);
  }
  try {
    return core.rewrapHeader(oldKey, newKey, header, info);
  } catch (err) {
    throw authFailureAsExit(err, name, oldKey);
  }
}

/**
 * The core's AUTH_FAILED for a header as exit 1; anything else unchanged.
 * The key id was checked first, so the likely causes are these two.
 * @param {unknown} err
 * @param {string} name
 * @param {MasterKey} key
 */
function authFailureAsExit(err, name, key) {
  if (err instanceof EnveilError && err.code === 'AUTH_FAILED') {
    return new CliError(EXIT.AUTH, `${name} does not authenticate under key ${quote(key.id)}: its header was altered, or ${key.path} holds another key with the same id`);
  }
  return err;
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
