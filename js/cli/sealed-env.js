/**
 * A .env file sealed value by value (`enveil env seal|open`): each value
 * becomes a token (env-tokens.js) bound to its variable's name, so a token
 * moved to another variable, or sealed with another --context, does not
 * open. Each token holds the value exactly as written, between the separator
 * and the end of the value (quotes, escapes and line breaks included), and
 * env open writes those bytes back in place. Names, comments, order and
 * quoting stay as they are, so the sealed
 * file diffs and merges line by line; comments are copied in clear, so those
 * that hold NAME=value text are reported, and can be dropped.
 *
 * What is not protected: which names a file has. Lines can be deleted,
 * reordered or copied between files that share a name; `env open` refuses
 * values that are not tokens unless --allow-plain.
 * @module
 */
import { EnveilError } from '../errors.js';
import * as core from '../stream-format.js';
import { CliError, EXIT, quote } from './exit.js';
import { commentsOf, formatDotEnv, namesAssignedIn, parseDotEnv } from './dotenv.js';
import { assignments, envContext, isToken, readToken, tokenBytes, toToken } from './env-tokens.js';
import { chunkCipher } from './chunk-cipher.js';
import { describeMaster, isService, openBeginWith, parseSealed, sealBeginWith } from './master.js';

/** @typedef {import('./master.js').Master} MasterKey */

const encoder = new TextEncoder();

/**
 * Checks up front that the context of every entry to seal or open fits the
 * format (env:NAME:CONTEXT, at most the core's maximum): exit 2 otherwise,
 * before any value is sealed.
 * @param {import('./dotenv.js').Assignment[]} entries
 * @param {string | undefined} context
 * @param {string} name the file, for messages
 */
function checkContextSizes(entries, context, name) {
  const max = core.sizes().maxContextBytes;
  for (const e of entries) {
    const size = envContext(e.name, context).length;
    if (size <= max) continue;
    throw new CliError(EXIT.USAGE, context
      ? `--context is too long: the context of ${name}:${e.line} (env:NAME:CONTEXT) would be ${size} bytes, at most ${max}`
      : `${name}:${e.line}: the variable name is too long to seal (env:NAME would be ${size} bytes, at most ${max})`);
  }
}

/**
 * Seals one value into a token.
 * @param {MasterKey} key
 * @param {Uint8Array} context
 * @param {Uint8Array} value
 */
async function sealValue(key, context, value) {
  const chunk = core.sizes().defaultChunkBytes;
  const { start, header, streamKey } = await sealBeginWith(key, context, chunk);
  try {
    const chunks = chunkCipher(streamKey, header);
    /** @type {Uint8Array[]} */
    const parts = [start];
    let at = 0;
    for (let index = 0; ; index++) {
      const isFinal = value.length - at < chunk;
      const piece = value.subarray(at, isFinal ? value.length : at + chunk);
      parts.push(chunks.seal(index, isFinal, piece));
      at += piece.length;
      if (isFinal) break;
    }
    return toToken(Buffer.concat(parts, parts.reduce((n, p) => n + p.length, 0)));
  } finally {
    streamKey.fill(0);
  }
}

/**
 * Opens a token sealed for `name`.
 * @param {string} where e.g. "file:12 NAME", for messages
 * @param {MasterKey} key
 * @param {Uint8Array} context
 * @param {string} token
 */
async function openValue(where, key, context, token) {
  const { bytes, info, header, sealed: start } = readToken(where, token);
  const streamKey = await openBeginWith(where, key, start, context);
  const record = info.chunkBytes + core.sizes().tagBytes;
  /** @type {Uint8Array[]} */
  const parts = [];
  try {
    const chunks = chunkCipher(streamKey, header);
    let at = start.size;
    for (let index = 0; ; index++) {
      const sealed = bytes.subarray(at, Math.min(at + record, bytes.length));
      const isFinal = sealed.length < record;
      try {
        parts.push(chunks.open(index, isFinal, sealed));
      } catch (err) {
        if (err instanceof EnveilError && err.code === 'AUTH_FAILED') {
          throw new CliError(EXIT.AUTH, `${where}: the sealed value does not authenticate (altered or truncated)`);
        }
        throw err;
      }
      at += sealed.length;
      if (isFinal) break;
    }
    return Buffer.concat(parts);
  } finally {
    streamKey.fill(0);
    for (const p of parts) p.fill(0);
  }
}

/**
 * Checks that a value kept as a token by `env seal` opens under `key`, for
 * its name and context: a plain value that merely looks like a token (or a
 * token damaged, moved or sealed under another key or context) would
 * otherwise stay in clear while reported as sealed. Exit 1 naming the line
 * (exit 3 when it names another key id, as env open says); the opened bytes
 * are wiped.
 * @param {string} where e.g. "file:12 NAME", for messages
 * @param {MasterKey} key
 * @param {Uint8Array} context
 * @param {string} token
 */
async function checkKeptToken(where, key, context, token) {
  const refusal = 'env seal keeps a value that looks sealed only when it opens: nothing was written';
  if (parseSealed(/** @type {Uint8Array} */ (tokenBytes(token))) === null) {
    throw new CliError(EXIT.AUTH, `${where}: the value looks sealed but does not open under ${isService(key) ? describeMaster(key) : `key ${quote(key.id)}`}: it is no enveil token, or a damaged one; ${refusal}`);
  }
  try {
    (await openValue(where, key, context, token)).fill(0);
  } catch (err) {
    if (err instanceof CliError && (err.exitCode === EXIT.AUTH || err.exitCode === EXIT.KEY)) err.message += `; ${refusal}`;
    throw err;
  }
}

/**
 * @typedef {object} SealedEnv
 * @property {string} text
 * @property {number} sealed values sealed now
 * @property {number} kept tokens kept (each one opened first)
 * @property {number} dropped comments dropped (stripComments)
 * @property {{ line: number, names: string[] }[]} exposed comments copied in
 *   clear that hold NAME=value text (never with stripComments)
 */

/**
 * Seals every plain value of a .env text: each token holds the value as
 * written (dotenv.js's raw span), so env open puts back the original text
 * and dotenv reads the opened file as it read the original. Every token in it is opened first,
 * before anything is sealed, so a value that does not open fails the whole
 * file.
 * @param {{ text: string, name: string, key: MasterKey, context?: string, stripComments?: boolean }} options
 * @returns {Promise<SealedEnv>}
 */
export async function sealEnv({ text, name, key, context, stripComments = false }) {
  const env = parseDotEnv(text, name);
  const entries = assignments(env);
  checkContextSizes(entries, context, name);
  for (const e of entries) {
    if (isToken(e.value)) await checkKeptToken(`${name}:${e.line} ${e.name}`, key, envContext(e.name, context), e.value);
  }
  // Every value sealed first (a key service answers asynchronously), then
  // the file written in one pass.
  /** @type {Map<import('./dotenv.js').Assignment, string>} */
  const tokens = new Map();
  for (const e of entries) {
    if (!isToken(e.value)) tokens.set(e, await sealValue(key, envContext(e.name, context), encoder.encode(text.slice(e.rawStart, e.rawEnd))));
  }
  const comments = commentsOf(env);
  const exposed = stripComments ? [] : comments.flatMap((c) => {
    const names = namesAssignedIn(c.text);
    return names.length > 0 ? [{ line: c.line, names }] : [];
  });
  let sealed = 0;
  let kept = 0;
  const out = formatDotEnv(env, (e) => {
    if (isToken(e.value)) {
      kept++;
      return text.slice(e.rawStart, e.rawEnd);
    }
    sealed++;
    // The value exactly as written: quotes, escapes, line breaks and all.
    const token = /** @type {string} */ (tokens.get(e));
    // The token keeps the value's quotes; NAME=#text (an empty value and a
    // comment to dotenv) is sealed whole.
    return text.slice(e.rawStart, e.start) + token + text.slice(e.end, e.end + (e.quote ? 1 : 0));
  }, { stripComments });
  return { text: out, sealed, kept, dropped: stripComments ? comments.length : 0, exposed };
}

/**
 * @param {{ text: string, name: string, key: MasterKey, context?: string, allowPlain?: boolean }} options
 * @returns {Promise<{ text: string, opened: number, plain: number }>}
 */
export async function openEnv({ text, name, key, context, allowPlain = false }) {
  const env = parseDotEnv(text, name);
  const entries = assignments(env);
  checkContextSizes(entries.filter((e) => isToken(e.value)), context, name);
  let plain = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Every value opened first (a key service answers asynchronously), in
  // file order, then the file written in one pass.
  /** @type {Map<import('./dotenv.js').Assignment, string>} */
  const values = new Map();
  for (const e of entries) {
    const where = `${name}:${e.line} ${e.name}`;
    if (!isToken(e.value)) {
      if (!allowPlain) throw new CliError(EXIT.AUTH, `${where}: the value is not sealed (pass --allow-plain to keep plain values)`);
      plain++;
      continue;
    }
    const bytes = await openValue(where, key, envContext(e.name, context), e.value);
    try {
      values.set(e, decoder.decode(bytes));
    } catch {
      throw new CliError(EXIT.AUTH, `${where}: the opened value is not UTF-8 text`);
    } finally {
      bytes.fill(0);
    }
  }
  const out = formatDotEnv(env, (e) => values.get(e) ?? text.slice(e.rawStart, e.rawEnd));
  return { text: out, opened: values.size, plain };
}
