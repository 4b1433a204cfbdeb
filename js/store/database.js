// The IndexedDB side of EncryptedStore: schema, opening and upgrading with
// idb's lifecycle callbacks, transactions that either commit whole or abort,
// and the mapping of IndexedDB failures to typed errors.
import { EnveilError } from '../errors.js';

export const META = 'meta';
export const KEYRING = 'keyring';
export const AUDIT = 'audit';
/** @param {string} collection */
export const recordStore = (collection) => `c:${collection}`;
/** @param {string} field */
export const blindIndexName = (field) => `bi:${field}`;
/** @param {string} field */
export const plainIndexName = (field) => `ix:${field}`;

/**
 * @typedef {object} CollectionSpec
 * @property {string[]} encrypted
 * @property {Record<string, { bits: number, normalize: import('../keyring.js').Normalization }>} blindIndex
 * @property {string[]} indexes plain fields with an IndexedDB index
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
 * @param {{ onVersionChange: () => void }} hooks called when another
 *   connection needs an upgrade (this one is then closed) or the browser
 *   closed it
 * @returns {Promise<import('idb').IDBPDatabase>}
 */
export async function openDatabase(factory, name, collections, hooks) {
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
 * @param {{ onVersionChange: () => void }} hooks
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
  // waits until it closes; nothing to do but wait.
  request.onblocked = () => {};
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
  raw.addEventListener?.('close', () => hooks.onVersionChange());
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
export async function inTransaction(db, stores, mode, fn, { durability = 'default', what }) {
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
