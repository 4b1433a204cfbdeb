// The IndexedDB side of EncryptedStore: schema, opening and upgrading with
// lifecycle callbacks, transactions that either commit whole or abort, the
// mapping of IndexedDB failures to typed errors, and every object-store and
// `meta` key access (StoreTx): no other module names a store or a key.
//
// Over the raw IndexedDB API of the factory the store was given, with a
// promise layer of its own: a factory injected in Node (fake-indexeddb's
// IDBFactory) works without IDBRequest or IDBKeyRange being globals (issue
// 14: idb's `wrap` tested `instanceof IDBRequest` against the globals). The
// only global read is IDBKeyRange, and only for factories of the global
// factory's own class.
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
 * The result of `request`, settled from its own success or error event. Code
 * awaiting it resumes in the microtasks right after that event, while the
 * transaction is still active, so it can make the next request (as with
 * idb): a transaction commits only once a task ends with no request pending.
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Resolves when `tx` commits; rejects with why it did not: the failed
 * request's error, the transaction's own (QuotaExceededError at commit), or
 * an AbortError.
 * @param {IDBTransaction} tx
 * @returns {Promise<void>}
 */
function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = (event) => reject(tx.error ?? /** @type {IDBRequest | null} */ (event.target)?.error
      ?? new DOMException('the transaction failed', 'AbortError'));
    tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
}

/**
 * Opens (creating or upgrading as needed) the database `name`.
 * @param {IDBFactory} factory
 * @param {string} name
 * @param {Record<string, CollectionSpec>} collections
 * @param {ConnectionHooks} hooks
 * @returns {Promise<IDBDatabase>}
 */
async function openDatabase(factory, name, collections, hooks) {
  const schema = wantedSchema(collections);
  let db = await openAt(factory, name, undefined, schema, hooks);
  if (!missing(db, schema)) return db;
  const version = db.version + 1;
  db.close();
  db = await openAt(factory, name, version, schema, hooks);
  return db;
}

/**
 * @param {IDBFactory} factory
 * @param {string} name
 * @param {number | undefined} version
 * @param {ReturnType<typeof wantedSchema>} schema
 * @param {ConnectionHooks} hooks
 * @returns {Promise<IDBDatabase>}
 */
async function openAt(factory, name, version, schema, hooks) {
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
  /** @type {IDBDatabase} */
  let db;
  try {
    db = await result(request);
  } catch (err) {
    throw storageError(err, `opening database '${name}'`);
  }
  db.addEventListener('versionchange', () => {
    db.close();
    hooks.onVersionChange();
  });
  // 'close' fires when the browser terminates the connection abnormally.
  db.addEventListener('close', () => hooks.onTerminated());
  return db;
}

/**
 * @param {IDBDatabase} db
 * @param {ReturnType<typeof wantedSchema>} schema
 */
function missing(db, schema) {
  for (const storeName of schema.keys()) {
    if (!db.objectStoreNames.contains(storeName)) return true;
  }
  // A transaction without requests, only to read index names: it ends by itself.
  const tx = db.transaction([...schema.keys()], 'readonly');
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
 * @param {IDBDatabase} db
 * @param {string[]} stores
 * @param {'readonly' | 'readwrite'} mode
 * @param {(tx: IDBTransaction) => Promise<T>} fn
 * @param {{ durability?: 'default' | 'strict' | 'relaxed', what: string }} options
 * @returns {Promise<T>}
 */
async function inTransaction(db, stores, mode, fn, { durability = 'default', what }) {
  /** @type {IDBTransaction} */
  let tx;
  try {
    tx = db.transaction(stores, mode, { durability });
  } catch (err) {
    throw storageError(err, what);
  }
  // Listened to from the start, so no event is missed; a failure also
  // rejects `fn`'s requests, and is reported through them or here.
  const done = mode === 'readwrite' ? committed(tx) : null;
  done?.catch(() => {});
  try {
    const value = await fn(tx);
    // A write is done when it commits. A read has its answer once its
    // requests succeed: waiting for 'complete' as well cost a browser a
    // second round trip per read (get at 0.46x of plain idb in Chromium).
    if (done) await done;
    return value;
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
 * The IDBKeyRange of `factory`'s own implementation, when known: the global
 * IDBKeyRange goes with factories of the global factory's class (the
 * browser's own; fake-indexeddb's when installed as the globals). Another
 * factory (fake-indexeddb's in Node with no globals, another frame's) may
 * have no global IDBKeyRange, or one its requests would refuse.
 * @param {IDBFactory} factory
 * @returns {typeof IDBKeyRange | undefined}
 */
function keyRangeOf(factory) {
  try {
    const global = globalThis.indexedDB;
    return global && Object.getPrototypeOf(factory) === Object.getPrototypeOf(global) ? globalThis.IDBKeyRange : undefined;
  } catch {
    return undefined; // reading the global threw (a sandboxed frame): no known IDBKeyRange
  }
}

/**
 * The records of one collection inside a transaction.
 */
class RecordStoreTx {
  /** @type {IDBObjectStore} */
  #store;
  /** @type {IDBFactory} */
  #factory;

  /**
   * @param {IDBObjectStore} store
   * @param {IDBFactory} factory the store's factory, for its key order (`cmp`)
   */
  constructor(store, factory) {
    this.#store = store;
    this.#factory = factory;
  }

  /** @param {IDBValidKey} id @returns {Promise<Record<string, any> | undefined>} */
  async get(id) {
    const value = await result(this.#store.get(id));
    return value === undefined ? undefined : keyed(value, id);
  }

  /** @param {Record<string, any>} stored */
  put(stored) {
    return result(this.#store.put(stored));
  }

  /** @param {IDBValidKey} id */
  delete(id) {
    return result(this.#store.delete(id));
  }

  /** @returns {Promise<number>} */
  count() {
    return result(this.#store.count());
  }

  /**
   * Records in id order after `after` (from the first when undefined), at most `limit`.
   * @param {IDBValidKey} [after]
   * @param {number} [limit]
   * @returns {Promise<Record<string, any>[]>}
   */
  list(after, limit) {
    if (after === undefined) return withKeys(this.#store, undefined, limit);
    const KeyRange = keyRangeOf(this.#factory);
    if (KeyRange) return withKeys(this.#store, KeyRange.lowerBound(after, true), limit);
    // No IDBKeyRange of this factory's implementation: a cursor jumps to
    // `after` and steps over a record stored under it. Slower, one step per
    // record: list() of 50 at about 0.6x of getAll's in Chromium.
    const factory = this.#factory;
    const store = this.#store;
    return new Promise((resolve, reject) => {
      factory.cmp(after, after); // not a key: DataError, as lowerBound throws
      /** @type {Record<string, any>[]} */
      const rows = [];
      let past = false;
      const request = store.openCursor();
      request.onsuccess = () => {
        try {
          const cursor = request.result;
          if (!cursor) return resolve(rows);
          if (!past) {
            const order = factory.cmp(cursor.key, after);
            if (order < 0) return cursor.continue(after);
            if (order === 0) return cursor.continue();
            past = true;
          }
          rows.push(keyed(cursor.value, cursor.primaryKey));
          // Like getAll's count: 0 or undefined means no limit.
          if (rows.length === limit) resolve(rows);
          else cursor.continue();
        } catch (err) {
          reject(err);
        }
      };
      request.onerror = () => reject(request.error);
    });
  }

  /**
   * Records carrying the blind-index term `term` for `field`.
   * @param {string} field @param {string} term
   * @returns {Promise<Record<string, any>[]>}
   */
  byBlindIndex(field, term) {
    return withKeys(this.#store.index(blindIndexName(field)), term);
  }

  /**
   * Records whose plain indexed `field` equals `value`.
   * @param {string} field @param {IDBValidKey} value
   * @returns {Promise<Record<string, any>[]>}
   */
  byIndex(field, value) {
    return withKeys(this.#store.index(plainIndexName(field)), value);
  }
}

/**
 * A stored value as read under `key`. A value whose own id is not the key
 * it is stored under (the files edited: another record's value copied
 * there) becomes a stand-in that never authenticates, carrying the key:
 * reads report it unreadable, rotations page past it.
 * @param {any} value
 * @param {IDBValidKey} key
 */
function keyed(value, key) {
  return value !== null && typeof value === 'object' && value.id === key ? value : { id: key, __v: 'stored under another key' };
}

/**
 * getAll and getAllKeys of one query, in one transaction: each value
 * checked against the key it is stored under (keyed()).
 * @param {IDBObjectStore | IDBIndex} source
 * @param {IDBValidKey | IDBKeyRange | undefined} query
 * @param {number} [limit]
 * @returns {Promise<Record<string, any>[]>}
 */
async function withKeys(source, query, limit) {
  const [values, keys] = await Promise.all([result(source.getAll(query, limit)), result(source.getAllKeys(query, limit))]);
  // An index's getAllKeys gives primary keys, in the order of getAll.
  return values.map((value, i) => keyed(value, keys[i]));
}

/**
 * What a transaction may read and write, by name: the `meta` entries, the
 * keyring entries, the audit log and the records. Each accessor touches
 * only the object stores the transaction was opened over.
 */
export class StoreTx {
  /** @type {IDBTransaction} */
  #tx;
  /** @type {IDBFactory} */
  #factory;

  /**
   * @param {IDBTransaction} tx
   * @param {IDBFactory} factory the factory the database was opened with
   */
  constructor(tx, factory) {
    this.#tx = tx;
    this.#factory = factory;
  }

  /** @param {string} key @returns {Promise<any>} */
  #getMeta(key) {
    return result(this.#tx.objectStore(META).get(key));
  }

  /** @param {string} key @param {unknown} value */
  #putMeta(key, value) {
    return result(this.#tx.objectStore(META).put(value, key));
  }

  /** @param {string} key @returns {Promise<void>} */
  #deleteMeta(key) {
    return result(this.#tx.objectStore(META).delete(key));
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
  deleteRotation() { return this.#deleteMeta('rotation'); }

  /** Declaration migrations still to run. @returns {Promise<import('./rotation.js').Migration[] | undefined>} */
  migrations() { return this.#getMeta('migrations'); }
  /** @param {import('./rotation.js').Migration[]} value */
  putMigrations(value) { return this.#putMeta('migrations', value); }

  /** The last audit entry's seq and MAC. @returns {Promise<{ seq: number, mac: string } | undefined>} */
  auditHead() { return this.#getMeta('auditHead'); }
  /** @param {{ seq: number, mac: string }} value */
  putAuditHead(value) { return this.#putMeta('auditHead', value); }

  /** The `manifest` meta entry (its shape is its writer's). @returns {Promise<any>} */
  manifest() { return this.#getMeta('manifest'); }
  /** @param {unknown} value */
  putManifest(value) { return this.#putMeta('manifest', value); }

  /** The `rotationProgress` meta entry (its shape is its writer's). @returns {Promise<any>} */
  rotationProgress() { return this.#getMeta('rotationProgress'); }
  /** @param {unknown} value */
  putRotationProgress(value) { return this.#putMeta('rotationProgress', value); }
  deleteRotationProgress() { return this.#deleteMeta('rotationProgress'); }

  /** @returns {Promise<import('../keyring.js').KeyringEntry[]>} */
  keyringEntries() { return result(this.#tx.objectStore(KEYRING).getAll()); }
  /** @param {import('../keyring.js').KeyringEntry} entry */
  putKeyringEntry(entry) { return result(this.#tx.objectStore(KEYRING).put(entry)); }

  /** @returns {Promise<import('./audit-log.js').AuditEntry[]>} */
  auditEntries() { return result(this.#tx.objectStore(AUDIT).getAll()); }
  /** @param {import('./audit-log.js').AuditEntry} entry */
  addAuditEntry(entry) { return result(this.#tx.objectStore(AUDIT).add(entry)); }

  /** @param {string} collection */
  records(collection) {
    return new RecordStoreTx(this.#tx.objectStore(recordStore(collection)), this.#factory);
  }
}

/**
 * The connection of one open store, reopened if another tab's upgrade
 * closed it.
 */
export class StoreDatabase {
  /** @type {IDBDatabase | null} */
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
    /** @type {IDBDatabase | null} */
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
    return inTransaction(await this.#database(), stores, 'readonly', (tx) => fn(new StoreTx(tx, this.#factory)), { what });
  }

  /**
   * @template T
   * @param {string[]} stores
   * @param {(tx: StoreTx) => Promise<T>} fn
   * @param {string} what
   * @param {'default' | 'strict'} [durability]
   */
  async write(stores, fn, what, durability = 'default') {
    return inTransaction(await this.#database(), stores, 'readwrite', (tx) => fn(new StoreTx(tx, this.#factory)), { what, durability });
  }

  /** The collections whose object stores the open database holds (declared now or ever). @returns {string[]} */
  collectionNames() {
    const names = this.#db ? [...this.#db.objectStoreNames] : [];
    return names.filter((n) => n.startsWith(recordStore(''))).map((n) => n.slice(recordStore('').length));
  }

  /** Closes the connection for good: later calls reject with STORAGE_FAILED. */
  close() {
    this.#closed = true;
    this.#db?.close();
    this.#db = null;
  }
}
