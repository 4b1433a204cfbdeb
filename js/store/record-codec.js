// One record in, one stored value out, and back (store format 2, README
// "Formats"): the declared fields serialised as one JSON object, padded, and
// sealed in record format v1 under the collection's data key; the AAD binds
// the collection, the id, the canonical bytes of every plain field and the
// names of the encrypted ones, so the record is authenticated whole. Its
// blind-index terms stay outside the AAD. No storage, no state: a keyring
// and a declaration in, values out.
import { EnveilError } from '../errors.js';
import { labelled, toHex, wipe } from '../internal/encoding.js';
import { limits } from '../internal/limits.js';
import { isBytes } from '../internal/wasm.js';

/** The stored format this code writes and reads. */
export const STORE_FORMAT = 2;
/** What a record's own stored form uses: never a field of the app's. */
export const RESERVED_FIELDS = new Set(['id', '__v', '__enc', '__bi', '__rec']);
/** Padding applied to the sealed JSON: Padmé (at least 32 bytes), or none. */
export const PADDINGS = /** @type {const} */ (['padme', 'none']);
/** The shortest padded length (bytes of JSON), so booleans and short enums look alike. */
export const MIN_PADDED_BYTES = 32;

const textDecoder = new TextDecoder();

const textEncoder = new TextEncoder();

/**
 * What a record's ciphertext is bound to (its AAD): the collection, the id
 * (typed: 1 and "1" differ), the canonical bytes of the plain fields and the
 * sorted names of the encrypted ones.
 * @param {string} collection
 * @param {string | number} id
 * @param {string} plainCanonical canonical(plain fields, id excluded)
 * @param {string[]} names sorted
 */
export function recordContext(collection, id, plainCanonical, names) {
  // JSON.stringify escapes lone surrogates, which UTF-8 would make all alike.
  return labelled('enveil/v2/store-record', collection, typeof id === 'number' ? `n:${canonical(id)}` : `s:${JSON.stringify(id)}`,
    plainCanonical, canonical(names));
}

/** The key id a v1 record was sealed with (bytes 2..5). @param {Uint8Array} record */
export function recordKeyId(record) {
  return record.length >= 6 ? new DataView(record.buffer, record.byteOffset, record.byteLength).getUint32(2) : -1;
}

/** The one error of a stored record that does not authenticate: it never says which part was wrong. */
export function unreadableRecord() {
  return new EnveilError('AUTH_FAILED', 'the stored record does not authenticate (altered, moved or forged)');
}

/** Whether `id` is an id the store writes (anything else read back is forged). @param {unknown} id */
function validId(id) {
  return (typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id));
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
 * @typedef {object} EncodedRecord `record` checked and its fields
 *   serialised, before any key is needed (so a bad record is INVALID_ARGUMENT
 *   whether the store is locked or not)
 * @property {import('./declarations.js').CollectionSpec} spec the declaration it was encoded for
 * @property {Record<string, unknown>} plain
 * @property {string} plainCanonical
 * @property {Array<{ field: string, json: string }>} encrypted sorted by field name
 */

/**
 * @param {import('./declarations.js').CollectionSpec} spec
 * @param {Record<string, unknown>} record
 * @param {Iterable<string>} [alsoEncrypted] fields to keep sealed even if no longer declared (a rotation re-sealing a record)
 * @returns {EncodedRecord}
 */
export function encodeRecord(spec, record, alsoEncrypted = []) {
  const sealed = new Set([...spec.encrypted, ...alsoEncrypted]);
  /** @type {Record<string, unknown>} */
  const plain = {};
  const encrypted = [];
  for (const [field, value] of Object.entries(record)) {
    if (field === 'id' || value === undefined) continue;
    if (RESERVED_FIELDS.has(field)) throw new EnveilError('INVALID_ARGUMENT', `field name '${field}' is reserved`);
    if (!sealed.has(field)) {
      // Defined, not assigned: a field named __proto__ stays a field.
      Object.defineProperty(plain, field, { value: ownBytes(value), enumerable: true, writable: true, configurable: true });
      continue;
    }
    encrypted.push({ field, json: jsonArg(value, `field '${field}'`) });
  }
  encrypted.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  let plainCanonical;
  try {
    plainCanonical = canonical(plain);
  } catch (err) {
    throw new EnveilError('INVALID_ARGUMENT', `${/** @type {Error} */ (err).message}: plain fields hold JSON values, Dates or Uint8Arrays`);
  }
  return { spec, plain, plainCanonical, encrypted };
}

/**
 * The stored form of an encoded record: `{ id, ...plain, __v: 2, __enc:
 * [names], __bi: { field: [term] }, __rec }`.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {string | number} id
 * @param {EncodedRecord} encoded
 */
export function sealEncoded(ring, collection, id, { spec, plain, plainCanonical, encrypted }) {
  const names = encrypted.map((e) => e.field);
  /** @type {Record<string, string[]>} */
  const bi = {};
  for (const { field, json } of encrypted) {
    const declared = blindIndexOf(spec, field);
    if (declared) bi[field] = [blindIndexTerm(ring, collection, field, searchFormOfJson(json), declared)];
  }
  const json = `{${encrypted.map(({ field, json: value }) => `${JSON.stringify(field)}:${value}`).join(',')}}`;
  const plaintext = padded(textEncoder.encode(json), spec.pad ?? 'padme');
  try {
    const rec = ring.encrypt(plaintext, recordContext(collection, id, plainCanonical, names), { scope: collection });
    return { id, ...plain, __v: STORE_FORMAT, __enc: names, __bi: bi, __rec: rec };
  } finally {
    wipe(plaintext);
  }
}

/**
 * encodeRecord then sealEncoded.
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {import('./declarations.js').CollectionSpec} spec
 * @param {string | number} id
 * @param {Record<string, unknown>} record
 * @param {Iterable<string>} [alsoEncrypted]
 */
export function sealRecord(ring, collection, spec, id, record, alsoEncrypted) {
  return sealEncoded(ring, collection, id, encodeRecord(spec, record, alsoEncrypted));
}

/**
 * Padmé (Nikitin et al., PETS 2019) over the JSON length, at least
 * MIN_PADDED_BYTES: at most 12% overhead, and a length reveals only
 * O(log log n) bits. Padded with spaces, which JSON ignores.
 * @param {number} length
 * @param {'padme' | 'none'} pad
 */
export function paddedLength(length, pad) {
  if (pad === 'none') return length;
  if (length <= MIN_PADDED_BYTES) return MIN_PADDED_BYTES;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const step = 2 ** (e - s);
  return Math.ceil(length / step) * step;
}

/** @param {Uint8Array} bytes @param {'padme' | 'none'} pad */
function padded(bytes, pad) {
  const out = new Uint8Array(paddedLength(bytes.length, pad)).fill(0x20);
  out.set(bytes);
  return out;
}

/**
 * The record as the app stored it, once its ciphertext authenticates the
 * whole stored form: AUTH_FAILED for anything altered, moved, forged or
 * malformed (never a value of the attacker's), UNKNOWN_KEY when its key is
 * not in this keyring (the caller reloads the keyring, then reports
 * AUTH_FAILED).
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} collection
 * @param {unknown} stored
 * @returns {Record<string, unknown>}
 */
export function openRecord(ring, collection, stored) {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) throw unreadableRecord();
  const { id, __v, __enc: names, __bi, __rec, ...plain } = /** @type {Record<string, any>} */ (stored);
  if (__v !== STORE_FORMAT || !validId(id) || !isBytes(__rec) || !Array.isArray(names)
    || names.some((n, i) => typeof n !== 'string' || (i > 0 && names[i - 1] >= n) || RESERVED_FIELDS.has(n) || hasOwn(plain, n))) {
    throw unreadableRecord();
  }
  let context;
  try {
    context = recordContext(collection, id, canonical(plain), names);
  } catch {
    throw unreadableRecord();
  }
  let bytes;
  try {
    bytes = ring.decrypt(__rec, context);
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'UNKNOWN_KEY') throw err;
    throw unreadableRecord();
  }
  let fields;
  try {
    fields = JSON.parse(textDecoder.decode(bytes));
  } catch {
    throw unreadableRecord();
  } finally {
    wipe(bytes);
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields) || canonical(Object.keys(fields).sort()) !== canonical(names)) {
    throw unreadableRecord();
  }
  return { id, ...plain, ...fields };
}

/**
 * The fields of a record sealed in its ciphertext, from its stored form
 * (names only: no key needed). [] for a malformed record.
 * @param {Record<string, any>} stored
 * @returns {string[]}
 */
export function sealedNames(stored) {
  const names = stored?.__enc;
  return Array.isArray(names) ? names.filter((n) => typeof n === 'string') : [];
}

/**
 * `value` with every Uint8Array in it copied to a buffer of its own:
 * IndexedDB stores a view's whole buffer, bytes outside the view included.
 * @param {unknown} value
 * @returns {unknown}
 */
function ownBytes(value) {
  if (value === null || typeof value !== 'object') return value;
  if (isBytes(value)) return /** @type {Uint8Array} */ (value).slice();
  if (Array.isArray(value)) return value.some((v) => v !== null && typeof v === 'object') ? value.map(ownBytes) : value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const entries = Object.entries(value);
  if (!entries.some(([, v]) => v !== null && typeof v === 'object')) return value;
  const out = proto === null ? Object.create(null) : {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: ownBytes(v), enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Canonical text of a plain value, the same in every engine: object keys
 * sorted (own enumerable string keys), numbers as ECMAScript writes them
 * (-0, NaN and the infinities by name), strings as JSON, a Date as "D" and
 * its time value, a Uint8Array as "B" and its hex, undefined by name. Every
 * form starts with its own character, so two different values never meet.
 * Throws a TypeError for anything else (a Map, a Blob, a class instance).
 * @param {unknown} value
 * @returns {string}
 */
export function canonical(value) {
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'undefined': return 'undefined';
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value); // NaN, Infinity, -Infinity by name
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) throw new TypeError('an array subclass cannot be stored');
        // Dense, and nothing but its elements: a hole or a named property
        // would survive storage without changing the text.
        const keys = Object.keys(value);
        if (keys.length !== value.length || keys.some((k, i) => k !== String(i))) {
          throw new TypeError('an array with holes or named properties cannot be stored');
        }
        return `[${value.map(canonical).join(',')}]`;
      }
      const tag = Object.prototype.toString.call(value);
      if (tag === '[object Date]') return `D${String(Date.prototype.getTime.call(value))}`;
      if (isBytes(value) && Object.getPrototypeOf(value) === Uint8Array.prototype) return `B"${toHex(/** @type {Uint8Array} */ (value))}"`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`a ${tag.slice(8, -1)} cannot be stored`);
      const keys = Object.keys(value).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(/** @type {any} */ (value)[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} cannot be stored`);
  }
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
