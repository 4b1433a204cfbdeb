// Reading records back: equality search (blind index for encrypted fields,
// an IndexedDB index for plain ones, a scan otherwise), where-conditions,
// paging, and opening the rows found. A truncated blind index finds false
// positives; they are dropped by comparing full-length terms of the
// decrypted values.
import { EnveilError } from '../errors.js';
import { META, recordStore } from './database.js';
import { blindIndexOf, blindIndexTerm, canonical, exactTerm, hasOwn, openRecord, searchForm, unreadableRecord } from './record-codec.js';
import { indexKeyIds, syncKeyring } from './keyring-sync.js';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {Record<string, unknown>} PlainRecord */

/** The canonical text of a value, null for one that has none. @param {unknown} value */
function canonicalOrNull(value) {
  try {
    return canonical(value);
  } catch {
    return null;
  }
}

/** A record's own field (never one inherited from Object.prototype). @param {PlainRecord} r @param {string} field */
const own = (r, field) => (hasOwn(r, field) ? r[field] : undefined);

/**
 * Opens stored records, each authenticated whole; a key this instance has
 * not seen yet (made by another tab) triggers one reload of the keyring and
 * a retry. Records that do not authenticate (altered, forged, malformed, or
 * under a key the store does not have) are left out of multi-record results
 * and reported through the 'unreadable' event; with skipUnreadable false
 * (get()) they reject with AUTH_FAILED instead.
 * @param {StoreSession} session
 * @param {string} collection
 * @param {unknown[]} rows
 * @returns {Promise<PlainRecord[]>}
 */
export async function openRows(session, collection, rows, skipUnreadable = true) {
  const openAll = (/** @type {boolean} */ reloaded) => {
    /** @type {PlainRecord[]} */
    const out = [];
    for (const r of rows) {
      try {
        out.push(openRecord(session.unlocked(), collection, r));
      } catch (err) {
        if (!(err instanceof EnveilError) || (err.code !== 'AUTH_FAILED' && err.code !== 'UNKNOWN_KEY')) throw err;
        if (err.code === 'UNKNOWN_KEY' && !reloaded) throw err;
        if (!skipUnreadable) throw unreadableRecord();
        // One record altered on disk must not hide the others.
        const id = /** @type {any} */ (r)?.id;
        session.emit('unreadable', { collection, id, code: 'AUTH_FAILED' });
      }
    }
    return out;
  };
  try {
    return openAll(false);
  } catch (err) {
    if (!(err instanceof EnveilError && err.code === 'UNKNOWN_KEY')) throw err;
    await syncKeyring(session);
    return openAll(true);
  }
}

/**
 * How `field` of `collection` is searched for `value`, checked before any
 * key is needed: through its blind index (with the value's search form),
 * an IndexedDB index, or a scan.
 * @param {StoreSession} session
 * @param {string} collection
 * @param {string} field
 * @param {unknown} value
 */
function searchPlan(session, collection, field, value) {
  const spec = session.spec(collection);
  const bi = blindIndexOf(spec, field);
  if (spec.encrypted.includes(field) && !bi) {
    throw new EnveilError('INVALID_ARGUMENT', `field '${field}' is encrypted without a blind index: declare blindIndex.${field} to search it`);
  }
  if (bi) return { bi, form: searchForm(value) };
  return { indexed: spec.indexes.includes(field) };
}

/**
 * @param {StoreSession} session
 * @param {string} collection
 * @param {string} field
 * @param {unknown} value
 */
export async function findBy(session, collection, field, value) {
  searchPlan(session, collection, field, value);
  const ring = await session.ready();
  // Planned again: a declare() may have changed the collection meanwhile.
  const { bi, form, indexed } = searchPlan(session, collection, field, value);
  if (bi && form) {
    const candidates = await searchBlindIndex(session, collection, field, form, bi);
    const exact = exactTerm(ring, collection, field, form, bi);
    return (await openRows(session, collection, candidates))
      .filter((r) => own(r, field) !== undefined && exactTerm(ring, collection, field, searchForm(r[field]), bi) === exact);
  }
  if (indexed) {
    const rows = await session.db.read([recordStore(collection)],
      (tx) => tx.records(collection).byIndex(field, /** @type {IDBValidKey} */ (value)), `searching '${collection}'`);
    // The index is not authenticated: what it points at must hold the value.
    const wanted = canonicalOrNull(value);
    return (await openRows(session, collection, rows)).filter((r) => wanted !== null && canonicalOrNull(own(r, field)) === wanted);
  }
  return scan(session, collection, (r) => own(r, field) === value);
}

/**
 * The records carrying a term of `form` under any index key of `field` still
 * in use. The terms are made with the keys of the manifest version current
 * in the same transaction: an instance that missed an index rotation
 * reloads and searches again, so it never misses records indexed under a
 * key it has not seen.
 * @param {StoreSession} session
 * @param {string} collection
 * @param {string} field
 * @param {import('./record-codec.js').SearchForm} form
 * @param {{ bits: number, normalize: import('../keyring.js').Normalization }} bi
 * @returns {Promise<unknown[]>}
 */
async function searchBlindIndex(session, collection, field, form, bi) {
  for (let attempt = 0; ; attempt++) {
    const ring = session.unlocked();
    const version = session.currentManifest().version;
    const terms = indexKeyIds(ring, collection, field).map((keyId) => blindIndexTerm(ring, collection, field, form, bi, keyId));
    const found = await session.db.read([recordStore(collection), META], async (tx) => {
      const records = tx.records(collection);
      // All requests at once: the version check costs no round trip of its own.
      const reading = tx.manifest();
      const searching = (async () => Promise.all(terms.map((term) => records.byBlindIndex(field, term))))();
      const [manifest, rows] = await Promise.all([reading, searching]);
      if (manifest?.version !== version) return null;
      const byId = new Map();
      for (const r of rows.flat()) byId.set(r.id, r);
      return [...byId.values()];
    }, `searching '${collection}'`);
    if (found) return found;
    if (attempt >= 5) throw new EnveilError('STORAGE_FAILED', `store '${session.name}' kept changing during the search: try again`);
    await syncKeyring(session);
  }
}

/**
 * @param {StoreSession} session
 * @param {string} collection
 * @param {string} field
 * @param {{ exists?: boolean, ne?: unknown }} condition
 */
export async function where(session, collection, field, condition) {
  const check = () => {
    const bi = blindIndexOf(session.spec(collection), field);
    if (!condition || typeof condition !== 'object' || (!('exists' in condition) && !('ne' in condition))) {
      throw new EnveilError('INVALID_ARGUMENT', 'condition must be { exists: boolean } or { ne: value }');
    }
    return { bi, form: bi && !('exists' in condition) ? searchForm(condition.ne) : undefined };
  };
  check();
  const ring = await session.ready();
  const { bi, form } = check();
  if ('exists' in condition) {
    const want = Boolean(condition.exists);
    return scan(session, collection, (r) => (own(r, field) !== undefined) === want);
  }
  if (bi && form) {
    const exact = exactTerm(ring, collection, field, form, bi);
    return scan(session, collection, (r) => own(r, field) !== undefined && exactTerm(ring, collection, field, searchForm(r[field]), bi) !== exact);
  }
  return scan(session, collection, (r) => own(r, field) !== undefined && r[field] !== condition.ne);
}

/**
 * @param {StoreSession} session
 * @param {string} collection
 * @param {{ limit?: number, after?: string | number }} options
 */
export async function list(session, collection, options) {
  session.spec(collection);
  const { limit = 100, after } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new EnveilError('INVALID_ARGUMENT', 'limit must be a positive integer');
  if (after !== undefined && typeof after !== 'string' && !(typeof after === 'number' && Number.isFinite(after))) {
    throw new EnveilError('INVALID_ARGUMENT', 'after must be a string or a finite number (the last id of the previous page)');
  }
  await session.ready();
  const rows = await session.db.read([recordStore(collection)], (tx) => tx.records(collection).list(after, limit), `listing '${collection}'`);
  return openRows(session, collection, rows);
}

/**
 * Every record of `collection` that `keep` accepts once opened.
 * @param {StoreSession} session
 * @param {string} collection
 * @param {(record: PlainRecord) => boolean} keep
 */
async function scan(session, collection, keep) {
  const rows = await session.db.read([recordStore(collection)], (tx) => tx.records(collection).list(), `reading '${collection}'`);
  return (await openRows(session, collection, rows)).filter(keep);
}
