/**
 * Master key files: `<id>.key`, holding the base64 of 32 random bytes (one
 * optional trailing newline), mode 0600. The id is the file name without
 * `.key`; the core's rule for ids applies (1–64 of A–Z a–z 0–9 . _ -, not
 * starting with '.' or '-'). A key file that group or others may read or
 * write, that another user owns, or that is a symbolic link is refused, as
 * ssh refuses such private keys.
 *
 * The key's bytes never pass through a string or Node's shared Buffer pool:
 * the file is read into a fresh Uint8Array and decoded from base64 (and
 * encoded, for keygen) by arithmetic on the bytes, without tables indexed by
 * secret values; every intermediate array is wiped.
 * @module
 */
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from '../hazmat.js';
import { keyIdValid, sizes } from '../stream-format.js';
import { CliError, EXIT, ioError, quote } from './exit.js';
import { atomicFile } from './io/atomic-file.js';

/**
 * @typedef {object} MasterKey
 * @property {string} id
 * @property {string} path
 * @property {Uint8Array} bytes 32 bytes; wipe after use
 */

/** '=', '\n' and '\r' in a key file. */
const PAD = 0x3d;
const LF = 0x0a;
const CR = 0x0d;

/**
 * -1 when lo <= c <= hi, else 0, for bytes (0..255), without branches.
 * @param {number} c
 * @param {number} lo
 * @param {number} hi
 */
const inRange = (c, lo, hi) => ((lo - 1 - c) & (c - hi - 1)) >> 8;

/**
 * The value (0..63) of a base64 character, or 0x100 when it is none.
 * @param {number} c a byte
 */
function sextet(c) {
  const upper = inRange(c, 0x41, 0x5a);
  const lower = inRange(c, 0x61, 0x7a);
  const digit = inRange(c, 0x30, 0x39);
  const plus = inRange(c, 0x2b, 0x2b);
  const slash = inRange(c, 0x2f, 0x2f);
  const value = (upper & (c - 0x41)) | (lower & (c - 0x47)) | (digit & (c + 4)) | (plus & 62) | (slash & 63);
  return value | (~(upper | lower | digit | plus | slash) & 0x100);
}

/**
 * The base64 character of a value 0..63 (libsodium's branchless mapping).
 * @param {number} v
 */
function base64Char(v) {
  let c = v + 0x41;
  c += ((25 - v) >> 8) & 6;
  c -= ((51 - v) >> 8) & 75;
  c -= ((61 - v) >> 8) & 15;
  c += ((62 - v) >> 8) & 3;
  return c;
}

/**
 * Characters of data and of '=' padding in the base64 of n bytes.
 * @param {number} n
 */
function base64Length(n) {
  const data = Math.ceil((n * 4) / 3);
  return { data, pad: (4 - (data % 4)) % 4 };
}

/**
 * The bytes of a key file: the base64 of `key` and a newline.
 * @param {Uint8Array} key
 * @returns {Uint8Array} the caller wipes it
 */
function encodeKeyFile(key) {
  const { data, pad } = base64Length(key.length);
  const out = new Uint8Array(data + pad + 1);
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < key.length; i++) {
    acc = ((acc << 8) | /** @type {number} */ (key[i])) & 0xffff;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out[at++] = base64Char((acc >> bits) & 63);
    }
  }
  if (bits > 0) out[at++] = base64Char((acc << (6 - bits)) & 63);
  acc = 0;
  while (at < data + pad) out[at++] = PAD;
  out[at] = LF;
  return out;
}

/**
 * The key a key file's bytes hold: canonical base64 of `keyBytes` bytes
 * with its padding, then an optional CR and an optional LF. Null otherwise.
 * @param {Uint8Array} file
 * @param {number} keyBytes
 * @returns {Uint8Array | null} the caller wipes it
 */
function decodeKeyFile(file, keyBytes) {
  const { data, pad } = base64Length(keyBytes);
  // The layout (lengths, padding, line end) says nothing about the key.
  let end = file.length;
  if (end > 0 && file[end - 1] === LF) end--;
  if (end > 0 && file[end - 1] === CR) end--;
  if (end !== data + pad) return null;
  for (let i = data; i < end; i++) if (file[i] !== PAD) return null;
  const key = new Uint8Array(keyBytes);
  let bad = 0;
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < data; i++) {
    const v = sextet(/** @type {number} */ (file[i]));
    bad |= v;
    acc = ((acc << 6) | (v & 63)) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      key[at++] = (acc >> bits) & 0xff;
    }
  }
  // Invalid characters, and bits left over that are not zero (not canonical).
  bad = (bad & 0x100) | (acc & ((1 << bits) - 1));
  acc = 0;
  if (bad !== 0 || at !== keyBytes) {
    key.fill(0);
    return null;
  }
  return key;
}

/**
 * The message for an id the core refuses.
 * @param {string} id
 */
const notAKeyId = (id) => `${quote(id)} is not a valid key id (1-64 of A-Z a-z 0-9 . _ -, not starting with . or -)`;

/**
 * The id a key file's name gives, or a CliError (exit 3).
 * @param {string} file
 */
function keyIdOf(file) {
  const base = path.basename(file);
  if (!base.endsWith('.key')) {
    throw new CliError(EXIT.KEY, `key file ${file}: the name must be <id>.key`);
  }
  const id = base.slice(0, -'.key'.length);
  if (!keyIdValid(id)) {
    throw new CliError(EXIT.KEY, `key file ${file}: ${notAKeyId(id)}`);
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
  const { keyBytes } = sizes();
  const { data, pad } = base64Length(keyBytes);
  // Room for the base64, CR, LF and one more byte (which makes it too long).
  const raw = new Uint8Array(data + pad + 3);
  let got = 0;
  let fh;
  try {
    const linkStat = await fsp.lstat(file);
    if (linkStat.isSymbolicLink()) throw symlinkRefused(file);
    // Checked before the open, which would wait forever on a FIFO.
    if (!linkStat.isFile()) throw new CliError(EXIT.KEY, `key file ${file}: not a regular file`);
    // O_NOFOLLOW: a link put there since the lstat is refused too;
    // O_NONBLOCK: a FIFO put there since the lstat does not block the open.
    fh = await fsp.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const st = await fh.stat();
    if (!st.isFile()) throw new CliError(EXIT.KEY, `key file ${file}: not a regular file`);
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    if (uid !== undefined && st.uid !== uid) {
      throw new CliError(EXIT.KEY, `key file ${file} is owned by uid ${st.uid}, not by the user running enveil (uid ${uid}); refused`);
    }
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new CliError(EXIT.KEY, `key file ${file} is accessible by group or others (mode ${mode}); run: chmod 600 ${file}`);
    }
    while (got < raw.length) {
      const { bytesRead } = await fh.read(raw, got, raw.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (err) {
    raw.fill(0);
    if (err instanceof CliError) throw err;
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ELOOP') throw symlinkRefused(file);
    const e = ioError('cannot read key file', file, err);
    throw new CliError(EXIT.KEY, e.message, { cause: err });
  } finally {
    await fh?.close();
  }
  const bytes = decodeKeyFile(raw.subarray(0, got), keyBytes);
  raw.fill(0);
  if (bytes === null) {
    throw new CliError(EXIT.KEY, `key file ${file}: not the base64 of ${keyBytes} bytes`);
  }
  return { id, path: file, bytes };
}

/**
 * Runs `use` with the key of `file`, and wipes the key after it.
 * @template T
 * @param {string | undefined} file as for loadKey
 * @param {(key: MasterKey) => Promise<T>} use
 * @returns {Promise<T>}
 */
export async function withKey(file, use) {
  const key = await loadKey(file);
  try {
    return await use(key);
  } finally {
    key.bytes.fill(0);
  }
}

/** @param {string} file */
function symlinkRefused(file) {
  return new CliError(EXIT.KEY, `key file ${file} is a symbolic link: refused; give the path of the key file itself`);
}

/** A fresh key id: the date and 8 random hex digits, e.g. 20250314-9f1c2a7b. */
function newKeyId() {
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
    throw new CliError(EXIT.USAGE, notAKeyId(id));
  }
  const file = path.join(dir, `${id}.key`);
  const bytes = randomBytes(sizes().keyBytes);
  const text = encodeKeyFile(bytes);
  let sink;
  try {
    sink = await atomicFile(file, { mode: 0o600, exactMode: true, replace: false });
    await sink.write(text);
    await sink.commit();
  } catch (err) {
    await sink?.abort();
    bytes.fill(0);
    if (err instanceof CliError && /already exists/.test(err.message)) {
      throw new CliError(EXIT.IO, `${file} already exists: not overwriting a key file`);
    }
    throw err;
  } finally {
    text.fill(0);
  }
  return { id, path: file, bytes };
}
