/**
 * Master key files: `<id>.key`, holding the base64 of 32 random bytes (one
 * optional trailing newline), mode 0600. The id is the file name without
 * `.key`; the core's rule for ids applies (1–64 of A–Z a–z 0–9 . _ -, not
 * starting with '.' or '-'). A key file that group or others may read or
 * write is refused, as ssh refuses such private keys.
 * @module
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from '../hazmat.js';
import { keyIdValid, sizes } from './core.js';
import { CliError, EXIT, ioError, quote } from './exit.js';
import { atomicFile } from './files.js';

/**
 * @typedef {object} MasterKey
 * @property {string} id
 * @property {string} path
 * @property {Uint8Array} bytes 32 bytes; wipe after use
 */

const BASE64_32 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=\r?\n?$/;

/**
 * The id a key file's name gives, or a CliError (exit 3).
 * @param {string} file
 */
export function keyIdOf(file) {
  const base = path.basename(file);
  if (!base.endsWith('.key')) {
    throw new CliError(EXIT.KEY, `key file ${file}: the name must be <id>.key`);
  }
  const id = base.slice(0, -'.key'.length);
  if (!keyIdValid(id)) {
    throw new CliError(EXIT.KEY, `key file ${file}: ${quote(id)} is not a valid key id (1-64 of A-Z a-z 0-9 . _ -, not starting with . or -)`);
  }
  return id;
}

/**
 * Reads and checks a master key file.
 * @param {string | undefined} file --key-path, or ENVEIL_KEY_PATH
 * @param {string} [option] the option name for messages
 * @returns {Promise<MasterKey>}
 */
export async function loadKey(file, option = '--key-path') {
  if (file === undefined || file === '') {
    throw new CliError(EXIT.KEY, `no key: pass ${option} FILE or set ENVEIL_KEY_PATH`);
  }
  const id = keyIdOf(file);
  let text;
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) throw new CliError(EXIT.KEY, `key file ${file}: not a regular file`);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new CliError(EXIT.KEY, `key file ${file} is accessible by group or others (mode ${mode}); run: chmod 600 ${file}`);
    }
    text = await fsp.readFile(file, 'latin1');
  } catch (err) {
    if (err instanceof CliError) throw err;
    const e = ioError('cannot read key file', file, err);
    throw new CliError(EXIT.KEY, e.message, { cause: err });
  }
  if (!BASE64_32.test(text)) {
    throw new CliError(EXIT.KEY, `key file ${file}: not the base64 of ${sizes().keyBytes} bytes`);
  }
  const bytes = new Uint8Array(Buffer.from(text.trim(), 'base64'));
  text = '';
  return { id, path: file, bytes };
}

/** A fresh key id: the date and 8 random hex digits, e.g. 20250314-9f1c2a7b. */
export function newKeyId() {
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const suffix = Array.from(randomBytes(4), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${date}-${suffix}`;
}

/**
 * Writes a new key file `<dir>/<id>.key` (mode 0600; never overwrites).
 * @param {string} dir
 * @param {string} [id]
 * @returns {Promise<MasterKey>}
 */
export async function writeNewKey(dir, id = newKeyId()) {
  if (!keyIdValid(id)) {
    throw new CliError(EXIT.USAGE, `${quote(id)} is not a valid key id (1-64 of A-Z a-z 0-9 . _ -, not starting with . or -)`);
  }
  const file = path.join(dir, `${id}.key`);
  const bytes = randomBytes(sizes().keyBytes);
  const text = Buffer.from(bytes).toString('base64');
  const sink = await atomicFile(file, { mode: 0o600, exactMode: true, replace: false });
  try {
    await sink.write(new TextEncoder().encode(`${text}\n`));
    await sink.commit();
  } catch (err) {
    await sink.abort();
    bytes.fill(0);
    if (err instanceof CliError && /already exists/.test(err.message)) {
      throw new CliError(EXIT.IO, `${file} already exists: not overwriting a key file`);
    }
    throw err;
  }
  return { id, path: file, bytes };
}
