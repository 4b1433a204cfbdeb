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
 * The file's container (magic, version, SHA-256 against damage; the payload
 * parsed as hostile input) and its atomic write are vault-file.js.
 *
 * Snapshot: { databases: [{ name, version, stores: [{ name, keyPath,
 * autoIncrement, keyGenerator, indexes: [{ name, keyPath, unique,
 * multiEntry }], entries: [[key, value], …] in key order }] }] }
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { IDBFactory } from 'fake-indexeddb';
import { EnveilError } from '../errors.js';
import { MAX_FILE_BYTES, damaged, decodeSnapshot, encodeSnapshot, ioFailure, removeLeftovers, writeFileAtomicSync } from './vault-file.js';

export { decodeSnapshot, encodeSnapshot } from './vault-file.js';

/**
 * @typedef {import('./vault-file.js').StoreShape} StoreShape
 * @typedef {import('./vault-file.js').DatabaseShape} DatabaseShape
 * @typedef {import('./vault-file.js').Snapshot} Snapshot
 */

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
      // Not through a symbolic link (the rename of the next write would
      // replace the link, leaving its target behind with old tokens), never
      // waiting on a FIFO, and a regular file only (a device's size says
      // nothing); the read is bounded whatever fstat says.
      const fd = openSync(target, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw new EnveilError('STORAGE_FAILED', `${file} is not a regular file: refused`, { cause: Object.assign(new Error('not a regular file'), { code: 'EINVAL' }) });
        if (st.size > MAX_FILE_BYTES) throw damaged(file);
        const buf = Buffer.alloc(st.size + 1);
        let n = 0;
        for (let got; n < buf.length && (got = readSync(fd, buf, n, buf.length - n, n)) > 0;) n += got;
        if (n > st.size) throw damaged(file); // grew while read: not a file at rest
        bytes = buf.subarray(0, n);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if (err instanceof EnveilError) throw err;
      if (/** @type {NodeJS.ErrnoException} */ (err)?.code === 'ELOOP') {
        throw new EnveilError('STORAGE_FAILED', `${file} is a symbolic link: refused (give the vault file itself)`, { cause: err });
      }
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
