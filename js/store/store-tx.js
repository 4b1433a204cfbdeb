// Every object-store and `meta` key access of the store, inside one
// transaction: no other module names an object store, an index or a key.
// Values read back are checked against the key they are stored under
// (keyed()): a record copied under another record's key never passes for it.
import { keyRangeOf, result } from './idb-requests.js';

export const META = 'meta';
export const AUDIT = 'audit';
/** @param {string} collection */
export const recordStore = (collection) => `c:${collection}`;
/** @param {string} field */
export const blindIndexName = (field) => `bi:${field}`;
/** @param {string} field */
export const plainIndexName = (field) => `ix:${field}`;

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
 * What a transaction may read and write, by name: the `meta` entries (the
 * wrapped store key, the recovery envelope, the manifest, a rotation's
 * progress), the audit log and the records. Each accessor touches
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

  /** The declarations store format 1 kept in `meta`: only to recognise a store of that format. */
  legacyCollections() { return this.#getMeta('collections'); }

  /** The `manifest` meta entry (its shape is its writer's). @returns {Promise<any>} */
  manifest() { return this.#getMeta('manifest'); }
  /** @param {unknown} value */
  putManifest(value) { return this.#putMeta('manifest', value); }

  /** The `rotationProgress` meta entry (its shape is its writer's). @returns {Promise<any>} */
  rotationProgress() { return this.#getMeta('rotationProgress'); }
  /** @param {unknown} value */
  putRotationProgress(value) { return this.#putMeta('rotationProgress', value); }
  deleteRotationProgress() { return this.#deleteMeta('rotationProgress'); }

  /** @returns {Promise<import('./audit-log.js').AuditEntry[]>} */
  auditEntries() { return result(this.#tx.objectStore(AUDIT).getAll()); }
  /** @param {import('./audit-log.js').AuditEntry} entry */
  addAuditEntry(entry) { return result(this.#tx.objectStore(AUDIT).add(entry)); }

  /** @param {string} collection */
  records(collection) {
    return new RecordStoreTx(this.#tx.objectStore(recordStore(collection)), this.#factory);
  }
}
