// The connection of one store: its schema, opening and upgrading with
// lifecycle callbacks, reconnecting after another tab's upgrade, and
// transactions that either commit whole or abort. The promise layer over
// raw IndexedDB is idb-requests.js; what a transaction reads and writes,
// by name, is store-tx.js (StoreTx).
import { EnveilError } from '../errors.js';
import { inTransaction, result, storageError } from './idb-requests.js';
import { AUDIT, META, StoreTx, blindIndexName, plainIndexName, recordStore } from './store-tx.js';

export { AUDIT, META, StoreTx, recordStore };

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
  const schema = new Map([[META, []], [AUDIT, []]]);
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
