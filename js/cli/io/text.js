/**
 * Whole small texts (.env files) in and out: strict UTF-8, and the same
 * outputs as the streaming commands (atomic file, device or stdout).
 * @module
 */
import { promises as fsp } from 'node:fs';
import { CliError, EXIT, ioError } from '../exit.js';
import { outputSink } from './sink.js';
import { eachPiece } from './source.js';

/**
 * The whole of a small text file or stdin; with `keepBom`, a byte order mark
 * stays in the text (env seal and env open write it back).
 * @param {string | undefined} file
 * @param {{ keepBom?: boolean }} [options]
 * @returns {Promise<string>}
 */
export async function readText(file, { keepBom = false } = {}) {
  if (file === undefined || file === '-') {
    /** @type {Buffer[]} */
    const parts = [];
    for await (const part of process.stdin) parts.push(part);
    return decodeUtf8(Buffer.concat(parts), 'stdin', { keepBom });
  }
  try {
    return decodeUtf8(await fsp.readFile(file), file, { keepBom });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw ioError('cannot read', file, err);
  }
}

/**
 * The rest of `source` as UTF-8 text.
 * @param {import('./source.js').Source} source
 */
export async function readSourceText(source) {
  /** @type {Uint8Array[]} */
  const parts = [];
  await eachPiece(source, 1 << 16, (piece) => parts.push(piece));
  // A byte order mark stays in the text: rotate writes back every byte but
  // the tokens.
  return decodeUtf8(Buffer.concat(parts), source.name, { keepBom: true });
}

/**
 * @param {Uint8Array} bytes
 * @param {string} name
 * @param {{ keepBom?: boolean }} [options]
 */
function decodeUtf8(bytes, name, { keepBom = false } = {}) {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: keepBom }).decode(bytes);
  } catch {
    throw new CliError(EXIT.IO, `cannot read ${name}: not UTF-8 text`);
  }
}

/**
 * Writes `text` to `file` atomically (mode 0600), or to stdout.
 * @param {string | undefined} file
 * @param {string} text
 */
export async function writeText(file, text) {
  const sink = await outputSink(file);
  const bytes = new TextEncoder().encode(text);
  try {
    await sink.write(bytes);
    await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  } finally {
    bytes.fill(0); // env open's plaintext
  }
}
