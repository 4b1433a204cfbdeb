/**
 * The vault file's container and how it is written: the layout below, read
 * as hostile input, and written atomically and durably (temporary file next
 * to it, fsync, rename or link, fsync of the directory). What is inside is
 * file-indexeddb.js's snapshot.
 *
 * File layout (all integers big-endian):
 *
 *   offset  size  field
 *   0       8     magic "ENVEILDB"
 *   8       2     format version, 1
 *   10      2     flags, 0
 *   12      4     payload length P
 *   16      P     payload: node:v8 serialize() of the snapshot
 *   16+P    32    SHA-256 of bytes [0, 16+P)
 *
 * The hash catches damage (a flipped bit, a truncation) before anything is
 * parsed; it is not authentication (an attacker recomputes it): the payload
 * is parsed as hostile input anyway (shape and types checked strictly,
 * nothing shared or cyclic, bounded depth), and the store authenticates its
 * own content.
 * @module
 */
import { closeSync, constants, fsyncSync, linkSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import v8 from 'node:v8';
import { EnveilError } from '../errors.js';
import { leftoverPid, processAlive, tempNames } from './processes.js';

const MAGIC = Buffer.from('ENVEILDB', 'latin1');
const FORMAT_VERSION = 1;
const HEADER_BYTES = 16;
const HASH_BYTES = 32;
/** A vault file is small (tokens, a manifest, an audit log); this bounds what a hostile file makes us read. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Deeper values than any the store writes are refused (and the checker's recursion stays bounded). */
const MAX_VALUE_DEPTH = 64;

/** @param {string} file @param {unknown} [cause] */
export function damaged(file, cause) {
  return new EnveilError('AUTH_FAILED', `${file} is not an enveil vault file, or it is damaged`, cause === undefined ? undefined : { cause });
}

/** @param {string} what @param {string} file @param {unknown} err */
export function ioFailure(what, file, err) {
  const code = /** @type {NodeJS.ErrnoException} */ (err)?.code;
  return new EnveilError('STORAGE_FAILED', `${what} ${file}${code ? ` (${code})` : ''}`, { cause: err });
}

// ---------------------------------------------------------------------------
// The container

/** @param {object} snapshot @returns {Buffer} */
export function encodeSnapshot(snapshot) {
  const payload = v8.serialize(snapshot);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt16BE(FORMAT_VERSION, 8);
  header.writeUInt16BE(0, 10);
  header.writeUInt32BE(payload.length, 12);
  const hash = createHash('sha256').update(header).update(payload).digest();
  return Buffer.concat([header, payload, hash]);
}

/**
 * The snapshot in `bytes`, checked; anything else is refused with the one
 * AUTH_FAILED error (no hint of which check failed: it is attacker input).
 * @param {Uint8Array} bytes
 * @param {string} file for the message
 */
export function decodeSnapshot(bytes, file) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES + HASH_BYTES || !buf.subarray(0, 8).equals(MAGIC)) throw damaged(file);
  if (buf.readUInt16BE(8) !== FORMAT_VERSION || buf.readUInt16BE(10) !== 0) throw damaged(file);
  const length = buf.readUInt32BE(12);
  if (length !== buf.length - HEADER_BYTES - HASH_BYTES) throw damaged(file);
  const hash = createHash('sha256').update(buf.subarray(0, HEADER_BYTES + length)).digest();
  if (!timingSafeEqual(hash, buf.subarray(HEADER_BYTES + length))) throw damaged(file);
  let snapshot;
  try {
    snapshot = v8.deserialize(buf.subarray(HEADER_BYTES, HEADER_BYTES + length));
  } catch (err) {
    throw damaged(file, err);
  }
  if (!validSnapshot(snapshot)) throw damaged(file);
  return /** @type {Snapshot} */ (snapshot);
}

/**
 * @typedef {{ name: string, keyPath: string | string[], unique: boolean, multiEntry: boolean }} IndexShape
 * @typedef {{ name: string, keyPath: string | string[] | null, autoIncrement: boolean, keyGenerator: number | null,
 *   indexes: IndexShape[], entries: Array<[IDBValidKey, unknown]> }} StoreShape
 * @typedef {{ name: string, version: number, stores: StoreShape[] }} DatabaseShape
 * @typedef {{ databases: DatabaseShape[] }} Snapshot
 */

/** (Object.hasOwn is ES2022: the lint's floor is older.) @type {(o: object, k: PropertyKey) => boolean} */
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/** @param {unknown} v @param {string[]} keys */
function plainWithKeys(v, keys) {
  if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return false;
  const own = Reflect.ownKeys(v);
  return own.length === keys.length && keys.every((k) => hasOwn(v, k));
}
/** @param {unknown} v @returns {v is unknown[]} */
const plainArray = (v) => Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
const keyPathShape = (/** @type {unknown} */ v) => typeof v === 'string' || (plainArray(v) && v.length > 0 && v.every((p) => typeof p === 'string'));
const distinctNames = (/** @type {Array<{ name: string }>} */ list) => new Set(list.map((x) => x.name)).size === list.length;

/** Parsed, hence `any`: every field is checked here before use. @param {any} s @returns {boolean} */
function validSnapshot(s) {
  const seen = new Set();
  if (!plainWithKeys(s, ['databases']) || !plainArray(s.databases)) return false;
  for (const db of s.databases) {
    if (!plainWithKeys(db, ['name', 'version', 'stores']) || typeof db.name !== 'string' || !plainArray(db.stores)) return false;
    if (!Number.isSafeInteger(db.version) || db.version < 1) return false;
    for (const store of db.stores) {
      if (!plainWithKeys(store, ['name', 'keyPath', 'autoIncrement', 'keyGenerator', 'indexes', 'entries'])) return false;
      if (typeof store.name !== 'string' || typeof store.autoIncrement !== 'boolean') return false;
      if (store.keyPath !== null && !keyPathShape(store.keyPath)) return false;
      if (store.autoIncrement ? !(Number.isSafeInteger(store.keyGenerator) && store.keyGenerator >= 0) : store.keyGenerator !== null) return false;
      if (!plainArray(store.indexes) || !plainArray(store.entries)) return false;
      for (const index of store.indexes) {
        if (!plainWithKeys(index, ['name', 'keyPath', 'unique', 'multiEntry']) || typeof index.name !== 'string') return false;
        if (!keyPathShape(index.keyPath) || typeof index.unique !== 'boolean' || typeof index.multiEntry !== 'boolean') return false;
      }
      if (!distinctNames(store.indexes)) return false;
      for (const entry of store.entries) {
        if (!plainArray(entry) || entry.length !== 2 || !hasOwn(entry, 0) || !hasOwn(entry, 1)) return false;
        if (!validValue(entry[0], 0, seen) || !validValue(entry[1], 0, seen)) return false;
      }
    }
    if (!distinctNames(db.stores)) return false;
  }
  return distinctNames(s.databases);
}

/**
 * Only what the stores write: primitives, Date, Uint8Array, ArrayBuffer,
 * plain arrays and objects, each object once (no sharing, no cycles: with
 * them a small file could make this walk exponential or endless).
 * @param {unknown} v @param {number} depth @param {Set<object>} seen
 * @returns {boolean}
 */
function validValue(v, depth, seen) {
  if (v === null || v === undefined) return true;
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return true;
  if (t !== 'object' || depth > MAX_VALUE_DEPTH || seen.has(/** @type {object} */ (v))) return false;
  seen.add(/** @type {object} */ (v));
  const proto = Object.getPrototypeOf(v);
  if (proto === Date.prototype) return Object.getOwnPropertyNames(v).length === 0;
  if (proto === Uint8Array.prototype || proto === ArrayBuffer.prototype) return !(/** @type {any} */ (v).buffer instanceof SharedArrayBuffer);
  if (proto !== Object.prototype && proto !== Array.prototype) return false;
  for (const key of Reflect.ownKeys(/** @type {object} */ (v))) {
    if (typeof key === 'symbol') return false;
    if (proto === Array.prototype && key === 'length') continue;
    const d = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(v, key));
    if (!('value' in d) || !validValue(d.value, depth + 1, seen)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Writing the file: temporary file, fsync, rename, fsync of the directory

/**
 * The command line's temporary-file name (js/cli/io/atomic-file.js:
 * `.NAME.<pid>.<12 hex>.enveil-tmp`), so either side's leftover cleanup
 * recognises the other's. Synchronous on purpose: it runs inside the
 * transaction's `complete` event, before the store's own handler.
 * @param {string} file
 */
function tempPathFor(file) {
  const { dir, prefix, next } = tempNames(file);
  return { dir, prefix, temp: next() };
}

/** Removes temporary files a killed writer of `file` left (its PID no longer runs). @param {string} file */
export function removeLeftovers(file) {
  const { dir, prefix } = tempPathFor(file);
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = leftoverPid(name, prefix);
    if (pid === null || pid === process.pid || processAlive(pid)) continue;
    try {
      unlinkSync(path.join(dir, name));
    } catch {
      // another run removed it, or it cannot be: the next one tries again
    }
  }
}

/** Some platforms cannot fsync a directory (Windows): there the rename is as durable as the OS makes it. @param {string} dir */
function syncDirectory(dir) {
  let fd;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code ?? '';
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(code)) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `bytes` as `file`: readers (and a crash) see the old file or the
 * whole new one. `replace: false` refuses an existing `file`, even in a race
 * (link() fails with EEXIST where rename() would replace).
 * @param {string} file @param {Uint8Array} bytes @param {{ replace: boolean }} options
 */
export function writeFileAtomicSync(file, bytes, { replace }) {
  const { dir, temp } = tempPathFor(file);
  let fd;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (replace) {
      renameSync(temp, file);
    } else {
      linkSync(temp, file);
      unlinkSync(temp);
    }
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw err;
  }
  syncDirectory(dir);
}

