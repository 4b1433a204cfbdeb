/**
 * IndexedDB in one local file, for Node (the token vault of CI/CD jobs):
 * fake-indexeddb's in-memory `IDBFactory`, loaded from the file's snapshot
 * and written back whole, atomically and durably, after every committed
 * transaction that changed anything, before the code that awaits the commit
 * resumes. What the store reads and writes is unchanged (format 2: every
 * record, the manifest and the audit chain authenticated); this file only
 * keeps the container: a damaged or foreign file is refused with one typed
 * error, a valid one loads exactly.
 *
 * One writer at a time: two processes that open the same file each hold
 * their own copy, and the last to commit wins. Hold `withFileLock(file)`
 * (file-lock.js) from open to close around anything that writes.
 *
 * File layout (all integers big-endian):
 *
 *   offset  size  field
 *   0       8     magic "ENVEILDB"
 *   8       2     format version, 1
 *   10      2     flags, 0
 *   12      4     payload length P
 *   16      P     payload: node:v8 serialize() of the snapshot (below)
 *   16+P    32    SHA-256 of bytes [0, 16+P)
 *
 * The hash catches damage (a flipped bit, a truncation) before anything is
 * parsed; it is not authentication (an attacker recomputes it): the payload
 * is parsed as hostile input anyway (shape and types checked strictly,
 * nothing shared or cyclic, bounded depth), and the store authenticates its
 * own content.
 *
 * Snapshot: { databases: [{ name, version, stores: [{ name, keyPath,
 * autoIncrement, keyGenerator, indexes: [{ name, keyPath, unique,
 * multiEntry }], entries: [[key, value], …] in key order }] }] }
 * @module
 */
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import v8 from 'node:v8';
import { IDBFactory } from 'fake-indexeddb';
import { EnveilError } from '../errors.js';
import { processAlive, tempBase } from './processes.js';

const MAGIC = Buffer.from('ENVEILDB', 'latin1');
const FORMAT_VERSION = 1;
const HEADER_BYTES = 16;
const HASH_BYTES = 32;
/** A vault file is small (tokens, a manifest, an audit log); this bounds what a hostile file makes us read. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Deeper values than any the store writes are refused (and the checker's recursion stays bounded). */
const MAX_VALUE_DEPTH = 64;

/** @param {string} file @param {unknown} [cause] */
function damaged(file, cause) {
  return new EnveilError('AUTH_FAILED', `${file} is not an enveil vault file, or it is damaged`, cause === undefined ? undefined : { cause });
}

/** @param {string} what @param {string} file @param {unknown} err */
function ioFailure(what, file, err) {
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
  const dir = path.dirname(file);
  const base = path.basename(file);
  const name = tempBase(base);
  return { dir, prefix: `.${name}.`, temp: path.join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.enveil-tmp`) };
}

/** Removes temporary files a killed writer of `file` left (its PID no longer runs). @param {string} file */
function removeLeftovers(file) {
  const { dir, prefix } = tempPathFor(file);
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d{1,10})\.[0-9a-f]{12}\.enveil-tmp$/.exec(name.slice(prefix.length)) : null;
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
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
function writeFileAtomicSync(file, bytes, { replace }) {
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

// ---------------------------------------------------------------------------
// Reading the committed state of fake-indexeddb

/**
 * The committed content of one object store, read from fake-indexeddb's own
 * records (the clones it keeps), not through a transaction: this runs inside
 * the `complete` event, where no new transaction may be opened and the
 * caller must not resume before the file is written. These are
 * fake-indexeddb's internals (`_rawDatabase`, `rawObjectStores`,
 * `records.values()`, `rawIndexes`, `keyGenerator.num`); `checkInternals`
 * refuses a version whose shape differs, and the tests compare the file with
 * a dump through the public API.
 * @param {any} rawStore @returns {StoreShape}
 */
function dumpStore(rawStore) {
  /** @type {Array<[IDBValidKey, unknown]>} */
  const entries = [];
  for (const record of rawStore.records.values()) entries.push([record.key, record.value]);
  return {
    name: rawStore.name,
    keyPath: rawStore.keyPath ?? null,
    autoIncrement: rawStore.autoIncrement === true,
    keyGenerator: rawStore.autoIncrement === true ? rawStore.keyGenerator.num : null,
    indexes: [...rawStore.rawIndexes.values()].filter((i) => !i.deleted)
      .map((i) => ({ name: i.name, keyPath: i.keyPath, unique: i.unique === true, multiEntry: i.multiEntry === true })),
    entries,
  };
}

/** @param {IDBDatabase} db @returns {any} */
function rawDatabaseOf(db) {
  const raw = /** @type {any} */ (db)._rawDatabase;
  if (!raw || !(raw.rawObjectStores instanceof Map)) throw unsupportedInternals();
  return raw;
}

function unsupportedInternals() {
  return new EnveilError('UNSUPPORTED', 'this version of fake-indexeddb is not one the vault file knows how to read (expected 6.x internals)');
}

/** Checks once, on a throwaway factory, that the internals read above are where they are expected. */
let internalsChecked = false;
async function checkInternals() {
  if (internalsChecked) return;
  const factory = new IDBFactory();
  const request = factory.open('probe', 1);
  request.onupgradeneeded = () => {
    const store = request.result.createObjectStore('s', { keyPath: 'k', autoIncrement: true });
    store.createIndex('i', 'x', { unique: true });
    store.put({ k: 7, x: new Uint8Array([1]) });
  };
  const db = await settle(request);
  try {
    const dump = dumpStore(rawDatabaseOf(db).rawObjectStores.get('s'));
    const ok = dump.keyGenerator === 7 && dump.keyPath === 'k' && dump.entries.length === 1 && dump.entries[0][0] === 7
      && dump.indexes.length === 1 && dump.indexes[0].unique && dump.entries[0][1] instanceof Object;
    if (!ok) throw unsupportedInternals();
  } catch (err) {
    throw err instanceof EnveilError ? err : unsupportedInternals();
  } finally {
    db.close();
  }
  internalsChecked = true;
}

/** @template T @param {IDBRequest<T>} request @returns {Promise<T>} */
function settle(request) {
  return new Promise((resolve, reject) => {
    request.addEventListener('success', () => resolve(request.result));
    request.addEventListener('error', () => reject(request.error));
  });
}

// ---------------------------------------------------------------------------
// Loading a snapshot into a fresh factory (through the public API, so every
// key and key path is checked by IndexedDB itself)

/** @param {IDBFactory} factory @param {DatabaseShape} shape @param {string} file */
async function loadDatabase(factory, shape, file) {
  const request = factory.open(shape.name, shape.version);
  request.onupgradeneeded = () => {
    for (const s of shape.stores) {
      const store = request.result.createObjectStore(s.name, { keyPath: s.keyPath, autoIncrement: s.autoIncrement });
      for (const i of s.indexes) store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry });
    }
  };
  const db = await settle(request);
  try {
    if (shape.stores.length === 0) return;
    const tx = db.transaction(shape.stores.map((s) => s.name), 'readwrite');
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error);
    });
    for (const s of shape.stores) {
      const store = tx.objectStore(s.name);
      let previous;
      for (const [key, value] of s.entries) {
        // Strictly ascending keys: no duplicates, nothing reordered.
        if (previous !== undefined && factory.cmp(previous, key) >= 0) throw damaged(file);
        previous = key;
        const put = s.keyPath === null ? store.put(value, key) : store.put(value);
        put.onsuccess = () => {
          // An inline key must be the one the snapshot names.
          if (factory.cmp(put.result, key) !== 0) tx.abort();
        };
      }
      if (s.autoIncrement) restoreKeyGenerator(store, s, factory);
    }
    await done;
  } finally {
    db.close();
  }
}

/**
 * Sets the key generator where it was (it may be past the largest key, when
 * the last records were deleted): a numeric key N put explicitly moves it to
 * N, and the placeholder is deleted again in the same transaction.
 * @param {IDBObjectStore} store @param {StoreShape} s @param {IDBFactory} factory
 */
function restoreKeyGenerator(store, s, factory) {
  const n = /** @type {number} */ (s.keyGenerator);
  if (n < 1 || s.entries.some(([key]) => factory.cmp(key, n) === 0)) return;
  if (s.keyPath === null) {
    store.put(null, n);
  } else {
    if (typeof s.keyPath !== 'string') return; // an array key path cannot have a generator (IndexedDB refuses the store)
    /** @type {Record<string, any>} */
    const placeholder = {};
    let at = placeholder;
    const parts = s.keyPath.split('.');
    for (const part of parts.slice(0, -1)) at = at[part] = {};
    at[/** @type {string} */ (parts.at(-1))] = n;
    store.put(placeholder);
  }
  store.delete(n);
}

// ---------------------------------------------------------------------------
// The factory

/**
 * Opens the vault file `file` as an IndexedDB factory.
 *
 * - `mode: 'create'`: `file` must not exist. An empty vault file is written
 *   at once (mode 0600, never replacing anything, even in a race); an existing
 *   path is refused with EnveilError `INVALID_ARGUMENT` whose `cause.code` is
 *   `'EEXIST'`.
 * - `mode: 'open'`: `file` must exist; a missing one is refused with
 *   EnveilError `STORAGE_FAILED` whose `cause.code` is `'ENOENT'`. A file
 *   that is not a vault file, or is damaged, is refused with EnveilError
 *   `AUTH_FAILED` ("not an enveil vault file, or it is damaged").
 *
 * After each committed transaction that changed something, the whole
 * snapshot is written to `file` atomically and durably before the
 * transaction's `complete` reaches any other listener: the store's
 * `await` of a commit resumes only once the commit is on disk. If that write
 * fails, the transaction is reported as aborted (the store rejects with
 * `STORAGE_FAILED`) and every later call on this factory throws the same
 * error: memory and file have parted, the file holds the last good state.
 * A `versionchange` transaction whose write fails cannot be un-completed
 * (fake-indexeddb has already finished the upgrade); the next call fails.
 *
 * @param {string} file
 * @param {{ mode: 'create' | 'open' }} options
 * @returns {Promise<{ indexedDB: IDBFactory, close(): void }>}
 *   close: closes every connection opened through the factory; later calls throw
 * @since 0.2.0
 */
export async function openFileIndexedDB(file, { mode } = /** @type {any} */ ({})) {
  if (typeof file !== 'string' || file.length === 0) throw new EnveilError('INVALID_ARGUMENT', 'file: expected a non-empty path');
  if (mode !== 'create' && mode !== 'open') throw new EnveilError('INVALID_ARGUMENT', "mode: expected 'create' or 'open'");
  const target = path.resolve(file);
  await checkInternals();
  removeLeftovers(target);

  /** @type {Snapshot} */
  let snapshot;
  if (mode === 'create') {
    snapshot = { databases: [] };
    try {
      writeFileAtomicSync(target, encodeSnapshot(snapshot), { replace: false });
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err)?.code === 'EEXIST') {
        throw new EnveilError('INVALID_ARGUMENT', `${file} already exists: a new vault never replaces a file`, { cause: err });
      }
      throw ioFailure('cannot create', file, err);
    }
  } else {
    let bytes;
    try {
      const fd = openSync(target, constants.O_RDONLY);
      try {
        const size = fstatSync(fd).size;
        if (size > MAX_FILE_BYTES) throw damaged(file);
        bytes = readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if (err instanceof EnveilError) throw err;
      if (/** @type {NodeJS.ErrnoException} */ (err)?.code === 'ENOENT') {
        throw new EnveilError('STORAGE_FAILED', `${file}: no such vault file`, { cause: err });
      }
      throw ioFailure('cannot read', file, err);
    }
    snapshot = decodeSnapshot(bytes, file);
  }

  const factory = new IDBFactory();
  try {
    for (const db of snapshot.databases) await loadDatabase(factory, db, file);
  } catch (err) {
    throw damaged(file, err);
  }
  return instrument(factory, target, snapshot);
}

/**
 * @param {IDBFactory} factory
 * @param {string} file absolute
 * @param {Snapshot} loaded
 */
function instrument(factory, file, loaded) {
  /** The committed state, by database and store, as last written to `file`. @type {Map<string, { version: number, stores: Map<string, StoreShape> }>} */
  const mirror = new Map(loaded.databases.map((d) => [d.name, { version: d.version, stores: new Map(d.stores.map((s) => [s.name, s])) }]));
  let lastWritten = encodeSnapshot(loaded);
  /** @type {EnveilError | null} */
  let failure = null;
  let closed = false;
  /** @type {Set<IDBDatabase>} */
  const connections = new Set();
  const watched = new WeakSet();

  const usable = () => {
    if (failure) throw failure;
    if (closed) throw new EnveilError('STORAGE_FAILED', `the vault file ${file} is closed`);
  };

  /** Writes the mirror if it differs from the file. */
  const persist = () => {
    const bytes = encodeSnapshot({
      databases: [...mirror].map(([name, d]) => ({ name, version: d.version, stores: [...d.stores.values()] })),
    });
    if (bytes.equals(lastWritten)) return; // nothing changed: the file stays as it is
    writeFileAtomicSync(file, bytes, { replace: true });
    lastWritten = bytes;
  };

  /** Runs `update` on the mirror and writes it; a failure poisons the factory. @returns {boolean} written */
  const commit = (/** @type {() => void} */ update) => {
    try {
      update();
      persist();
      return true;
    } catch (err) {
      failure = err instanceof EnveilError && err.code === 'UNSUPPORTED' ? err
        : ioFailure('a committed transaction could not be written to', file, err);
      return false;
    }
  };

  /**
   * Registered when the transaction is created, before its creator can add
   * listeners: DOM events reach listeners in the order they were added (and
   * fake-indexeddb calls `oncomplete` after all of them), so the snapshot is
   * on disk before the store's `committed()` resolves.
   * @param {IDBTransaction} tx
   */
  const watch = (tx) => {
    if (watched.has(tx) || tx.mode === 'readonly') return;
    watched.add(tx);
    const db = tx.db;
    tx.addEventListener('complete', (event) => {
      const ok = commit(() => {
        const raw = rawDatabaseOf(db);
        if (tx.mode === 'versionchange') {
          // Exclusive: the whole database is this transaction's.
          /** @type {Map<string, StoreShape>} */
          const stores = new Map();
          for (const rawStore of raw.rawObjectStores.values()) {
            if (!rawStore.deleted) stores.set(rawStore.name, dumpStore(rawStore));
          }
          mirror.set(db.name, { version: raw.version, stores });
        } else {
          // Only the stores in scope: while this transaction ran, none of
          // them was written by another; stores outside its scope may hold
          // another running transaction's uncommitted writes, so they keep
          // their last committed (mirrored) content.
          const entry = mirror.get(db.name);
          if (!entry) throw unsupportedInternals();
          for (const name of tx.objectStoreNames) {
            const rawStore = raw.rawObjectStores.get(name);
            if (!rawStore || rawStore.deleted) throw unsupportedInternals();
            entry.stores.set(name, dumpStore(rawStore));
          }
        }
      });
      if (ok || tx.mode === 'versionchange') return;
      // Not on disk: the store must not go on as if it were (a token
      // vault's write-ahead marker, then a call to the OAuth server). The
      // 'complete' stops here and the transaction's listeners hear an
      // 'abort' with the write's error; fake-indexeddb's own queue listens
      // for 'abort' as well, so later transactions are not stalled.
      event.stopImmediatePropagation();
      /** @type {any} */ (tx).error = failure;
      const AbortEvent = /** @type {any} */ (event).constructor;
      tx.dispatchEvent(new AbortEvent('abort', { bubbles: false, cancelable: false }));
    });
  };

  /** @param {IDBDatabase} db */
  const watchConnection = (db) => {
    if (connections.has(db)) return;
    connections.add(db);
    const transaction = db.transaction;
    Object.defineProperty(db, 'transaction', {
      configurable: true,
      writable: true,
      value: /** @type {IDBDatabase['transaction']} */ (function (/** @type {any[]} */ ...args) {
        usable();
        const tx = transaction.apply(db, /** @type {any} */ (args));
        watch(tx);
        return tx;
      }),
    });
    const close = db.close;
    Object.defineProperty(db, 'close', {
      configurable: true,
      writable: true,
      value: () => {
        connections.delete(db);
        close.call(db);
      },
    });
  };

  const open = factory.open;
  Object.defineProperty(factory, 'open', {
    configurable: true,
    writable: true,
    value: /** @type {IDBFactory['open']} */ (function (/** @type {any[]} */ ...args) {
      usable();
      const request = open.apply(factory, /** @type {any} */ (args));
      // Before the caller's own handlers (added after this returns).
      request.addEventListener('upgradeneeded', () => {
        watchConnection(request.result);
        watch(/** @type {IDBTransaction} */ (request.transaction));
      });
      request.addEventListener('success', () => watchConnection(request.result));
      return request;
    }),
  });

  const deleteDatabase = factory.deleteDatabase;
  Object.defineProperty(factory, 'deleteDatabase', {
    configurable: true,
    writable: true,
    value: /** @type {IDBFactory['deleteDatabase']} */ (function (/** @type {any[]} */ ...args) {
      usable();
      const request = deleteDatabase.apply(factory, /** @type {any} */ (args));
      const name = String(args[0]);
      request.addEventListener('success', (event) => {
        if (commit(() => mirror.delete(name))) return;
        event.stopImmediatePropagation();
        /** @type {any} */ (request).error = failure;
        const ErrorEvent = /** @type {any} */ (event).constructor;
        request.dispatchEvent(new ErrorEvent('error', { bubbles: false, cancelable: true }));
      });
      return request;
    }),
  });

  return {
    indexedDB: factory,
    close() {
      closed = true;
      for (const db of [...connections]) db.close();
    },
  };
}
