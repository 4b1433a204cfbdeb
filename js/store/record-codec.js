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

/**
 * The stored form of `record`: declared fields encrypted under `__enc`,
 * their blind-index terms under `__bi`, other fields as they are.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {import('./declarations.js').CollectionSpec} spec
 * @param {string | number} id
 * @param {Record<string, unknown>} record
 */
export function sealRecord(ring, collection, spec, id, record) {
  /** @type {Record<string, any>} */
  const stored = { id, __enc: {}, __bi: {} };
  for (const [field, value] of Object.entries(record)) {
    if (field === 'id' || value === undefined) continue;
    if (field === '__enc' || field === '__bi') {
      throw new EnveilError('INVALID_ARGUMENT', `field name '${field}' is reserved`);
    }
    if (!spec.encrypted.includes(field)) {
      stored[field] = value;
      continue;
    }
    const json = JSON.stringify(value);
    if (json === undefined) throw new EnveilError('INVALID_ARGUMENT', `field '${field}' is not JSON-serialisable`);
    stored.__enc[field] = ring.encrypt(json, fieldContext(collection, id, field), { scope: collection });
    const bi = spec.blindIndex[field];
    if (bi) stored.__bi[field] = [blindIndexTerm(ring, collection, field, value, bi)];
  }
  return stored;
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
 * opened (its JSON round trip, which is what is sealed), a string as its
 * text, so that trim, lowercase and digits normalise what the user typed,
 * and any other value as canonical JSON (object keys sorted), so objects are
 * told apart by their content rather than all sharing "[object Object]".
 * `string` keeps 5 and "5" apart where truncated terms would meet.
 * @param {unknown} value
 * @returns {{ string: boolean, text: string }}
 */
function indexedForm(value) {
  if (typeof value === 'string') return { string: true, text: value };
  const json = JSON.stringify(value);
  if (json === undefined) throw new EnveilError('INVALID_ARGUMENT', 'a blind-indexed value must be JSON-serialisable');
  const opened = JSON.parse(json);
  return typeof opened === 'string' ? { string: true, text: opened } : { string: false, text: canonicalJson(opened) };
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
 * The blind-index term of `value` for `field`: "<keyId>:<hex>", truncated to
 * the declared bits, under the primary index key or `keyId`.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {string} field
 * @param {unknown} value
 * @param {{ bits: number, normalize: import('../keyring.js').Normalization }} bi
 * @param {number} [keyId]
 */
export function blindIndexTerm(ring, collection, field, value, bi, keyId) {
  const { text } = indexedForm(value);
  return ring.blindIndex(collection, field, text, keyId === undefined ? bi : { ...bi, keyId });
}

/**
 * A full-length (256-bit) term of `value` and whether it is a string: equal
 * for two values exactly when search treats them as equal (normalisation
 * applies), to tell a true match from a truncated index's false positive.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {string} field
 * @param {unknown} value
 * @param {{ normalize: import('../keyring.js').Normalization }} bi
 */
export function exactTerm(ring, collection, field, value, bi) {
  const { string, text } = indexedForm(value);
  return `${string ? 's' : 'j'}${ring.blindIndex(collection, field, text, { normalize: bi.normalize, bits: limits().BLIND_INDEX_MAX_BITS })}`;
}
