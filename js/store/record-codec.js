// One record in, one stored value out, and back: the declared fields sealed
// in record format v1 under the collection's data key, bound to
// (collection, id, field); their blind-index terms; the plain fields as they
// are. No storage, no state: a keyring and a declaration in, values out.
import { EnveilError } from '../errors.js';
import { labelled, wipe } from '../internal/encoding.js';
import { limits } from '../internal/limits.js';

const textDecoder = new TextDecoder();

/**
 * What a field's ciphertext is bound to (its AAD): moved to another record
 * or field, it no longer opens.
 * @param {string} collection
 * @param {IDBValidKey} id
 * @param {string} field
 */
export function fieldContext(collection, id, field) {
  return labelled('enveil/v1/field', collection, typeof id === 'number' ? `n:${id}` : `s:${String(id)}`, field);
}

/** The key id a v1 record was sealed with (bytes 2..5). @param {Uint8Array} record */
export function recordKeyId(record) {
  return record.length >= 6 ? new DataView(record.buffer, record.byteOffset, record.byteLength).getUint32(2) : -1;
}

/** @param {unknown} id */
export function idArg(id) {
  if ((typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id))) return id;
  throw new EnveilError('INVALID_ARGUMENT', 'id must be a non-empty string or a finite number');
}

/**
 * A record to store under `id`. Its own `id` property, when present, must be
 * that id (a record read with get() and put back carries it): a different
 * one would be dropped silently, so it is refused.
 * @param {unknown} record
 * @param {string | number} id
 * @returns {Record<string, unknown>}
 */
export function recordArg(record, id) {
  if (!record || typeof record !== 'object' || Array.isArray(record)) {
    throw new EnveilError('INVALID_ARGUMENT', 'record must be an object');
  }
  const own = /** @type {Record<string, unknown>} */ (record).id;
  if (own !== undefined && own !== id) {
    throw new EnveilError('INVALID_ARGUMENT', 'record.id differs from the id argument: a record is stored under its id argument');
  }
  return /** @type {Record<string, unknown>} */ (record);
}

/**
 * Whether `field` is an own property of `object` (Object.hasOwn arrived in
 * Safari 15.4; Capacitor's iOS webviews go back to iOS 14).
 * @param {object} object @param {string} field
 */
export const hasOwn = (object, field) => Object.prototype.hasOwnProperty.call(object, field);

/**
 * A field's blind-index declaration (own properties only: a field named
 * 'constructor' has none).
 * @param {import('./declarations.js').CollectionSpec} spec
 * @param {string} field
 */
export function blindIndexOf(spec, field) {
  return hasOwn(spec.blindIndex, field) ? spec.blindIndex[field] : undefined;
}

/**
 * @typedef {object} EncodedRecord `record` checked and its encrypted fields
 *   serialised, before any key is needed (so a bad record is INVALID_ARGUMENT
 *   whether the store is locked or not)
 * @property {import('./declarations.js').CollectionSpec} spec the declaration it was encoded for
 * @property {Record<string, unknown>} plain
 * @property {Array<{ field: string, json: string }>} encrypted
 */

/**
 * @param {import('./declarations.js').CollectionSpec} spec
 * @param {Record<string, unknown>} record
 * @returns {EncodedRecord}
 */
export function encodeRecord(spec, record) {
  /** @type {Record<string, unknown>} */
  const plain = {};
  const encrypted = [];
  for (const [field, value] of Object.entries(record)) {
    if (field === 'id' || value === undefined) continue;
    if (field === '__enc' || field === '__bi') {
      throw new EnveilError('INVALID_ARGUMENT', `field name '${field}' is reserved`);
    }
    if (!spec.encrypted.includes(field)) {
      plain[field] = value;
      continue;
    }
    encrypted.push({ field, json: jsonArg(value, `field '${field}'`) });
  }
  return { spec, plain, encrypted };
}

/**
 * The stored form of an encoded record: declared fields encrypted under
 * `__enc`, their blind-index terms under `__bi`, other fields as they are.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {string | number} id
 * @param {EncodedRecord} encoded
 */
export function sealEncoded(ring, collection, id, { spec, plain, encrypted }) {
  /** @type {Record<string, any>} */
  const stored = { id, __enc: {}, __bi: {}, ...plain };
  for (const { field, json } of encrypted) {
    stored.__enc[field] = ring.encrypt(json, fieldContext(collection, id, field), { scope: collection });
    const bi = blindIndexOf(spec, field);
    if (bi) stored.__bi[field] = [blindIndexTerm(ring, collection, field, searchFormOfJson(json), bi)];
  }
  return stored;
}

/**
 * encodeRecord then sealEncoded.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {import('./declarations.js').CollectionSpec} spec
 * @param {string | number} id
 * @param {Record<string, unknown>} record
 */
export function sealRecord(ring, collection, spec, id, record) {
  return sealEncoded(ring, collection, id, encodeRecord(spec, record));
}

/**
 * The record as the app stored it: every sealed field opened (AUTH_FAILED or
 * UNKNOWN_KEY if one does not).
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {Record<string, any>} stored
 * @returns {Record<string, unknown>}
 */
export function openRecord(ring, collection, stored) {
  const out = plainFields(stored);
  for (const [field, ct] of Object.entries(stored.__enc ?? {})) {
    out[field] = openField(ring, collection, stored.id, field, ct);
  }
  return out;
}

/**
 * One sealed field's value.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {IDBValidKey} id
 * @param {string} field
 * @param {Uint8Array} ciphertext
 */
export function openField(ring, collection, id, field, ciphertext) {
  return JSON.parse(textDecoder.decode(ring.decrypt(ciphertext, fieldContext(collection, id, field))));
}

/**
 * `ciphertext` re-sealed under the collection's primary data key.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {IDBValidKey} id
 * @param {string} field
 * @param {Uint8Array} ciphertext
 */
export function resealField(ring, collection, id, field, ciphertext) {
  const context = fieldContext(collection, id, field);
  const plain = ring.decrypt(ciphertext, context);
  try {
    return ring.encrypt(plain, context, { scope: collection });
  } finally {
    wipe(plain);
  }
}

/**
 * The fields stored in the clear (the stored form without `__enc`/`__bi`).
 * @param {Record<string, any>} stored
 * @returns {Record<string, unknown>}
 */
export function plainFields(stored) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [field, value] of Object.entries(stored)) {
    if (field !== '__enc' && field !== '__bi') out[field] = value;
  }
  return out;
}

/**
 * What a value is blind-indexed as: the value as the record returns it once
 * opened (its JSON round trip, which is what is sealed); a string as its
 * text, normalised as declared (trim, lowercase, digits apply to what the
 * user typed), any other value as canonical JSON (object keys sorted) and
 * never normalised, so objects are told apart by their content and `string`
 * keeps 5 and "5" apart where truncated terms would meet.
 * @typedef {{ string: boolean, text: string }} SearchForm
 */

/**
 * The search form of `value` (INVALID_ARGUMENT for what JSON cannot hold).
 * @param {unknown} value
 * @returns {SearchForm}
 */
export function searchForm(value) {
  if (typeof value === 'string') return { string: true, text: value };
  return searchFormOfJson(jsonArg(value, 'a searched value'));
}

/** @param {string} json @returns {SearchForm} */
function searchFormOfJson(json) {
  const opened = JSON.parse(json);
  return typeof opened === 'string' ? { string: true, text: opened } : { string: false, text: canonicalJson(opened) };
}

/**
 * JSON.stringify, with what it cannot serialise (undefined, a function, a
 * BigInt, a cycle) as INVALID_ARGUMENT naming `what`.
 * @param {unknown} value
 * @param {string} what
 */
function jsonArg(value, what) {
  let json;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new EnveilError('INVALID_ARGUMENT', `${what} is not JSON-serialisable`, { cause: err });
  }
  if (json === undefined) throw new EnveilError('INVALID_ARGUMENT', `${what} is not JSON-serialisable`);
  return json;
}

/** JSON with object keys sorted, at every depth. @param {unknown} value @returns {string} */
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(/** @type {any} */ (value)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The blind-index term of a search form for `field`: "<keyId>:<hex>",
 * truncated to the declared bits, under the primary index key or `keyId`.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {string} field
 * @param {SearchForm} form
 * @param {{ bits: number, normalize: import('../keyring.js').Normalization }} bi
 * @param {number} [keyId]
 */
export function blindIndexTerm(ring, collection, field, form, bi, keyId) {
  const options = { bits: bi.bits, normalize: form.string ? bi.normalize : 'none' };
  return ring.blindIndex(collection, field, form.text, keyId === undefined ? options : { ...options, keyId });
}

/**
 * A full-length term of a search form, with its kind: equal for two values
 * exactly when search treats them as equal, to tell a true match from a
 * truncated index's false positive.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {string} field
 * @param {SearchForm} form
 * @param {{ normalize: import('../keyring.js').Normalization }} bi
 */
export function exactTerm(ring, collection, field, form, bi) {
  const options = { normalize: form.string ? bi.normalize : 'none', bits: limits().BLIND_INDEX_MAX_BITS };
  return `${form.string ? 's' : 'j'}${ring.blindIndex(collection, field, form.text, options)}`;
}
