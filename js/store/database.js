// The IndexedDB side of EncryptedStore: schema, opening and upgrading with
// idb's lifecycle callbacks, transactions that either commit whole or abort,
// the mapping of IndexedDB failures to typed errors, and every object-store
// and `meta` key access (StoreTx): no other module names a store or a key.
import { EnveilError } from '../errors.js';

export const META = 'meta';
export const KEYRING = 'keyring';
export const AUDIT = 'audit';
/** @param {string} collection */
export const recordStore = (collection) => `c:${collection}`;
/** @param {string} field */
const blindIndexName = (field) => `bi:${field}`;
/** @param {string} field */
const plainIndexName = (field) => `ix:${field}`;

/** @typedef {import('./declarations.js').CollectionSpec} CollectionSpec */
/**
 * What a connection reports (STYLE.md §14, idb's `blocked`/`terminated`).
 * @typedef {object} ConnectionHooks
 * @property {() => void} onBlocked an open or upgrade waits: another connection (an older tab) holds an older version
 * @property {() => void} onVersionChange another connection needs an upgrade: this one was closed
 * @property {() => void} onTerminated the browser closed the connection abnormally (storage cleared, disk error)
 */

/**
 * What the database must contain for these collections.
 * @param {Record<string, CollectionSpec>} collections
 * @returns {Map<string, Array<{ name: string, keyPath: string, multiEntry: boolean }>>}
 */
function wantedSchema(collections) {
  /** @type {Map<string, Array<{ name: string, keyPath: string, multiEntry: boolean }>>} */
  const schema = new Map([[META, []], [KEYRING, []], [AUDIT, []]]);
  for (const [name, spec] of Object.entries(collections)) {
    schema.set(recordStore(name), [
      ...Object.keys(spec.blindIndex).map((f) => ({ name: blindIndexName(f), keyPath: `__bi.${f}`, multiEntry: true })),
      ...spec.indexes.map((f) => ({ name: plainIndexName(f), keyPath: f, multiEntry: false })),
    ]);
  }
  return schema;
}

/**
 * Opens (creating or upgrading as needed) the database `name`.
 * @param {IDBFactory} factory
 * @param {string} name
 * @param {Record<string, CollectionSpec>} collections
 * @param {ConnectionHooks} hooks
 * @returns {Promise<import('idb').IDBPDatabase>}
 */
async function openDatabase(factory, name, collections, hooks) {
  const { wrap } = await loadIdb();
  const schema = wantedSchema(collections);
  let db = await openAt(wrap, factory, name, undefined, schema, hooks);
  if (!missing(db, schema)) return db;
  const version = db.version + 1;
  db.close();
  db = await openAt(wrap, factory, name, version, schema, hooks);
  return db;
}

/** @type {Promise<typeof import('idb')> | null} */
let idb = null;

/**
 * idb, loaded when the first store opens: importing enveil stays cheap for
 * code that never opens one (it was 2.5 ms of a 17 ms cold start in Node).
 * Loaded before any request exists, so no event can fire before idb listens.
 */
function loadIdb() {
  idb ??= import('idb').catch((err) => {
    idb = null;
    throw new EnveilError('UNSUPPORTED', 'the idb package could not be loaded', { cause: err });
  });
  return idb;
}

/**
 * @param {typeof import('idb').wrap} wrap
 * @param {IDBFactory} factory
 * @param {string} name
 * @param {number | undefined} version
 * @param {ReturnType<typeof wantedSchema>} schema
 * @param {ConnectionHooks} hooks
 */
async function openAt(wrap, factory, name, version, schema, hooks) {
  /** @type {IDBOpenDBRequest} */
  let request;
  try {
    request = version === undefined ? factory.open(name) : factory.open(name, version);
  } catch (err) {
    throw storageError(err, `opening database '${name}'`);
  }
  request.onupgradeneeded = () => {
    const raw = request.result;
    const tx = /** @type {IDBTransaction} */ (request.transaction);
    for (const [storeName, indexes] of schema) {
      const store = raw.objectStoreNames.contains(storeName)
        ? tx.objectStore(storeName)
        : raw.createObjectStore(storeName, storeName === META ? undefined : { keyPath: storeName === AUDIT ? 'seq' : 'id' });
      for (const index of indexes) {
        if (!store.indexNames.contains(index.name)) {
          store.createIndex(index.name, index.keyPath, { multiEntry: index.multiEntry });
        }
      }
    }
  };
  // Another connection (another tab) still holds an older version: the open
  // waits until it closes. Said, so the app can ask the user to close it.
  request.onblocked = () => hooks.onBlocked();
  /** @type {import('idb').IDBPDatabase} */
  let db;
  try {
    db = /** @type {import('idb').IDBPDatabase} */ (await wrap(request));
  } catch (err) {
    throw storageError(err, `opening database '${name}'`);
  }
  const raw = /** @type {IDBDatabase} */ (/** @type {unknown} */ (db));
  db.addEventListener('versionchange', () => {
    db.close();
    hooks.onVersionChange();
  });
  // 'close' fires when the browser terminates the connection abnormally.
  raw.addEventListener?.('close', () => hooks.onTerminated());
  return db;
}

/**
 * @param {import('idb').IDBPDatabase} db
 * @param {ReturnType<typeof wantedSchema>} schema
 */
function missing(db, schema) {
  for (const storeName of schema.keys()) {
    if (!db.objectStoreNames.contains(storeName)) return true;
  }
  const tx = db.transaction([...schema.keys()], 'readonly');
  tx.done.catch(() => {});
  for (const [storeName, indexes] of schema) {
    const names = tx.objectStore(storeName).indexNames;
    if (indexes.some((i) => !names.contains(i.name))) return true;
  }
  return false;
}

/**
 * Runs `fn` in one transaction; a readwrite one is awaited until it commits. If anything
 * throws, the transaction is aborted: nothing of it is written.
 * @template T
 * @param {import('idb').IDBPDatabase} db
 * @param {string[]} stores
 * @param {'readonly' | 'readwrite'} mode
 * @param {(tx: import('idb').IDBPTransaction<any, string[], 'readonly' | 'readwrite'>) => Promise<T>} fn
 * @param {{ durability?: 'default' | 'strict' | 'relaxed', what: string }} options
 * @returns {Promise<T>}
 */
async function inTransaction(db, stores, mode, fn, { durability = 'default', what }) {
  let tx;
  try {
    tx = db.transaction(stores, mode, { durability });
  } catch (err) {
    throw storageError(err, what);
  }
  tx.done.catch(() => {});
  try {
    const result = await fn(tx);
    // A write is done when it commits. A read has its answer once its
    // requests succeed: waiting for 'complete' as well cost a browser a
    // second round trip per read (get at 0.46x of plain idb in Chromium).
    if (mode === 'readwrite') await tx.done;
    return result;
  } catch (err) {
    try {
      tx.abort();
    } catch {
      // already finished or aborted
    }
    throw storageError(err, what);
  }
}

/**
 * @param {unknown} err
 * @param {string} what the operation, for the message (never data)
 * @returns {EnveilError}
 */
export function storageError(err, what) {
  if (err instanceof EnveilError) return err;
  const name = /** @type {{ name?: string }} */ (err)?.name;
  if (name === 'QuotaExceededError') {
    return new EnveilError('QUOTA_EXCEEDED', `storage is full: ${what} was not written`, { cause: err });
  }
  return new EnveilError('STORAGE_FAILED', `IndexedDB failed while ${what}${name ? ` (${name})` : ''}`, { cause: err });
}

/**
 * The records of one collection inside a transaction.
 */
class RecordStoreTx {
  /** @type {any} */
  #store;

  /** @param {any} store an idb object store */
  constructor(store) {
    this.#store = store;
  }

  /** @param {IDBValidKey} id @returns {Promise<Record<string, any> | undefined>} */
  get(id) {
    return this.#store.get(id);
  }

  /** @param {Record<string, any>} stored */
  put(stored) {
    return this.#store.put(stored);
  }

  /** @param {IDBValidKey} id */
  delete(id) {
    return this.#store.delete(id);
  }

  /** @returns {Promise<number>} */
  count() {
    return this.#store.count();
  }

  /**
   * Records in id order after `after` (from the first when undefined), at most `limit`.
   * @param {IDBValidKey} [after]
   * @param {number} [limit]
   * @returns {Promise<Record<string, any>[]>}
   */
  list(after, limit) {
    return this.#store.getAll(after === undefined ? undefined : IDBKeyRange.lowerBound(after, true), limit);
  }

  /**
   * Records carrying the blind-index term `term` for `field`.
   * @param {string} field @param {string} term
   * @returns {Promise<Record<string, any>[]>}
   */
  byBlindIndex(field, term) {
    return this.#store.index(blindIndexName(field)).getAll(term);
  }

  /**
   * Records whose plain indexed `field` equals `value`.
   * @param {string} field @param {IDBValidKey} value
   * @returns {Promise<Record<string, any>[]>}
   */
  byIndex(field, value) {
    return this.#store.index(plainIndexName(field)).getAll(value);
  }
}

/**
 * What a transaction may read and write, by name: the `meta` entries, the
 * keyring entries, the audit log and the records. Each accessor touches
 * only the object stores the transaction was opened over.
 */
export class StoreTx {
  /** @type {any} */
  #tx;

  /** @param {any} tx an idb transaction */
  constructor(tx) {
    this.#tx = tx;
  }

  /** @param {string} key */
  #getMeta(key) {
    return this.#tx.objectStore(META).get(key);
  }

  /** @param {string} key @param {unknown} value */
  #putMeta(key, value) {
    return this.#tx.objectStore(META).put(value, key);
  }

  /** The wrapped store key: { smkId, providerId, wrapped }. */
  smk() { return this.#getMeta('smk'); }
  /** @param {{ smkId: string, providerId: string, wrapped: Uint8Array }} value */
  putSmk(value) { return this.#putMeta('smk', value); }

  /** The recovery envelope: { smkByRecovery, byStore }. */
  recovery() { return this.#getMeta('recovery'); }
  /** @param {{ smkByRecovery: Uint8Array, byStore: Uint8Array }} value */
  putRecovery(value) { return this.#putMeta('recovery', value); }

  /** The declarations the store was last opened with. @returns {Promise<Record<string, CollectionSpec> | undefined>} */
  collections() { return this.#getMeta('collections'); }
  /** @param {Record<string, CollectionSpec>} value */
  putCollections(value) { return this.#putMeta('collections', value); }

  /** The key rotation in progress. @returns {Promise<import('./rotation.js').RotationState | undefined>} */
  rotation() { return this.#getMeta('rotation'); }
  /** @param {import('./rotation.js').RotationState} value */
  putRotation(value) { return this.#putMeta('rotation', value); }
  deleteRotation() { return this.#tx.objectStore(META).delete('rotation'); }

  /** Declaration migrations still to run. @returns {Promise<import('./rotation.js').Migration[] | undefined>} */
  migrations() { return this.#getMeta('migrations'); }
  /** @param {import('./rotation.js').Migration[]} value */
  putMigrations(value) { return this.#putMeta('migrations', value); }

  /** The last audit entry's seq and MAC. @returns {Promise<{ seq: number, mac: string } | undefined>} */
  auditHead() { return this.#getMeta('auditHead'); }
  /** @param {{ seq: number, mac: string }} value */
  putAuditHead(value) { return this.#putMeta('auditHead', value); }

  /** @returns {Promise<import('../keyring.js').KeyringEntry[]>} */
  keyringEntries() { return this.#tx.objectStore(KEYRING).getAll(); }
  /** @param {import('../keyring.js').KeyringEntry} entry */
  putKeyringEntry(entry) { return this.#tx.objectStore(KEYRING).put(entry); }

  /** @returns {Promise<import('./audit-log.js').AuditEntry[]>} */
  auditEntries() { return this.#tx.objectStore(AUDIT).getAll(); }
  /** @param {import('./audit-log.js').AuditEntry} entry */
  addAuditEntry(entry) { return this.#tx.objectStore(AUDIT).add(entry); }

  /** @param {string} collection */
  records(collection) {
    return new RecordStoreTx(this.#tx.objectStore(recordStore(collection)));
  }
}

/**
 * The connection of one open store, reopened if another tab's upgrade
 * closed it.
 */
export class StoreDatabase {
  /** @type {import('idb').IDBPDatabase | null} */
  #db = null;
  #factory;
  #name;
  #collections;
  #events;
  #closed = false;

  /**
   * @param {IDBFactory} factory
   * @param {string} name
   * @param {() => Record<string, CollectionSpec>} collections the declarations
   *   the schema must hold, read at each (re)connect
   * @param {{ blocked: () => void, versionchange: () => void, terminated: () => void }} events
   *   told of the connection's lifecycle; after versionchange or terminated
   *   the next call reopens
   */
  constructor(factory, name, collections, events) {
    this.#factory = factory;
    this.#name = name;
    this.#collections = collections;
    this.#events = events;
  }

  /** Opens (creating or upgrading as needed) the database, closing the connection held before. */
  async connect() {
    this.#db?.close();
    this.#db = null;
    /** @type {import('idb').IDBPDatabase | null} */
    let opened = null;
    // Only the connection in use reports: one a later connect() replaced is
    // already closed and says nothing.
    const lost = (/** @type {() => void} */ report) => () => {
      if (opened === null || this.#db !== opened) return;
      this.#db = null;
      report();
    };
    opened = await openDatabase(this.#factory, this.#name, this.#collections(), {
      onBlocked: () => this.#events.blocked(),
      onVersionChange: lost(() => this.#events.versionchange()),
      onTerminated: lost(() => this.#events.terminated()),
    });
    if (this.#closed) {
      opened.close();
      throw new EnveilError('STORAGE_FAILED', `store '${this.#name}' is closed`);
    }
    this.#db = opened;
  }

  /** @type {Promise<void> | null} a reconnect under way, shared by the calls that need it */
  #reconnecting = null;

  /** The open connection, reopened (once, however many calls wait) if another tab's upgrade or the browser closed it. */
  async #database() {
    if (this.#closed) throw new EnveilError('STORAGE_FAILED', `store '${this.#name}' is closed`);
    while (!this.#db) {
      await (this.#reconnecting ??= this.connect().finally(() => {
        this.#reconnecting = null;
      }));
    }
    return this.#db;
  }

  /**
   * @template T
   * @param {string[]} stores
   * @param {(tx: StoreTx) => Promise<T>} fn
   * @param {string} what
   */
  async read(stores, fn, what) {
    return inTransaction(await this.#database(), stores, 'readonly', (tx) => fn(new StoreTx(tx)), { what });
  }

  /**
   * @template T
   * @param {string[]} stores
   * @param {(tx: StoreTx) => Promise<T>} fn
   * @param {string} what
   * @param {'default' | 'strict'} [durability]
   */
  async write(stores, fn, what, durability = 'default') {
    return inTransaction(await this.#database(), stores, 'readwrite', (tx) => fn(new StoreTx(tx)), { what, durability });
  }

  /** Closes the connection for good: later calls reject with STORAGE_FAILED. */
  close() {
    this.#closed = true;
    this.#db?.close();
    this.#db = null;
  }
}
