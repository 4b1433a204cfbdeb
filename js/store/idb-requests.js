// The promise layer over the raw IndexedDB API of the factory a store was
// given: a request's result, a transaction's commit, one transaction run
// whole or aborted, and IndexedDB failures as typed errors. Nothing here
// reads a global IndexedDB class, so a factory injected in Node
// (fake-indexeddb's IDBFactory) works without IDBRequest or IDBKeyRange
// being globals (issue 14: idb's `wrap` tested `instanceof IDBRequest`
// against the globals); keyRangeOf() reads the global IDBKeyRange only for
// factories of the global factory's own class.
import { EnveilError } from '../errors.js';

/**
 * The result of `request`, settled from its own success or error event. Code
 * awaiting it resumes in the microtasks right after that event, while the
 * transaction is still active, so it can make the next request (as with
 * idb): a transaction commits only once a task ends with no request pending.
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
export function result(request) {
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
export function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = (event) => reject(tx.error ?? /** @type {IDBRequest | null} */ (event.target)?.error
      ?? new DOMException('the transaction failed', 'AbortError'));
    tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
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
export async function inTransaction(db, stores, mode, fn, { durability = 'default', what }) {
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
export function keyRangeOf(factory) {
  try {
    const global = globalThis.indexedDB;
    return global && Object.getPrototypeOf(factory) === Object.getPrototypeOf(global) ? globalThis.IDBKeyRange : undefined;
  } catch {
    return undefined; // reading the global threw (a sandboxed frame): no known IDBKeyRange
  }
}
