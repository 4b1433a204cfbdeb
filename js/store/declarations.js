// Collection declarations: what the app passes as `collections`, checked and
// normalised, and what changed between two of them (the migrations an
// upgrade needs).
import { EnveilError } from '../errors.js';
import { limits, nameArg } from '../internal/limits.js';
import { PADDINGS, RESERVED_FIELDS } from './record-codec.js';

/**
 * @typedef {object} CollectionSpec
 * @property {string[]} encrypted
 * @property {Record<string, { bits: number, normalize: import('../keyring.js').Normalization }>} blindIndex
 * @property {string[]} indexes plain fields with an IndexedDB index
 * @property {'padme' | 'none'} pad how the sealed JSON of a record is padded
 */
/**
 * A rotation that a declaration change needs: re-encrypt a collection (a
 * field newly declared encrypted) or recompute a field's blind index.
 * @typedef {{ kind: 'data' | 'index', collection: string, field?: string }} Migration
 */

/** The keyring scope of the manifest's key (manifest.js): no collection may take it. */
export const MANIFEST_SCOPE = '__manifest';

/**
 * Whether `name` can name a collection or a field: a keyring name (1 to 255
 * UTF-8 bytes, no '/' or NUL, checked as the core checks it) without '.'
 * (IndexedDB key paths would split there).
 * @param {unknown} name
 */
function validName(name) {
  if (typeof name !== 'string' || name.includes('.')) return false;
  try {
    nameArg(name, 'name');
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {unknown} collections
 * @param {boolean} [allowInternal] names starting with '__' (a component's own collections)
 * @returns {Record<string, CollectionSpec>}
 */
export function normalizeCollections(collections, allowInternal = false) {
  if (collections === null || typeof collections !== 'object') {
    throw new EnveilError('INVALID_ARGUMENT', 'collections must be an object of collection declarations');
  }
  /** @type {Record<string, CollectionSpec>} */
  const out = {};
  for (const [name, raw] of Object.entries(collections)) {
    if (!validName(name) || (!allowInternal && name.startsWith('__')) || name === MANIFEST_SCOPE) {
      throw new EnveilError('INVALID_ARGUMENT', `collection name '${name}' must be 1-${limits().KEYRING_MAX_NAME_BYTES} bytes in UTF-8 without '/', '.' or NUL, not starting with '__'`);
    }
    const spec = /** @type {Record<string, unknown>} */ (raw ?? {});
    const encrypted = spec.encrypted ?? [];
    const indexes = spec.indexes ?? [];
    const blindIndex = spec.blindIndex ?? {};
    const pad = spec.pad ?? 'padme';
    if (!PADDINGS.includes(/** @type {any} */ (pad))) {
      throw new EnveilError('INVALID_ARGUMENT', `collections.${name}.pad must be one of ${PADDINGS.join(', ')}`);
    }
    if (!Array.isArray(encrypted) || !Array.isArray(indexes) || typeof blindIndex !== 'object' || blindIndex === null) {
      throw new EnveilError('INVALID_ARGUMENT', `collections.${name}: encrypted and indexes must be arrays, blindIndex an object`);
    }
    for (const field of [...encrypted, ...indexes, ...Object.keys(blindIndex)]) {
      if (!validName(field) || RESERVED_FIELDS.has(/** @type {string} */ (field))) {
        throw new EnveilError('INVALID_ARGUMENT', `collections.${name}: field '${String(field)}' is not a valid field name`);
      }
    }
    /** @type {CollectionSpec['blindIndex']} */
    const bi = {};
    for (const [field, opts] of Object.entries(blindIndex)) {
      if (!encrypted.includes(field)) {
        throw new EnveilError('INVALID_ARGUMENT', `collections.${name}.blindIndex.${field}: only encrypted fields get a blind index`);
      }
      const { DEFAULT_BLIND_INDEX_BITS, BLIND_INDEX_MIN_BITS: min, BLIND_INDEX_MAX_BITS: max, NORMALIZATIONS } = limits();
      const { bits = DEFAULT_BLIND_INDEX_BITS, normalize = 'none' } = /** @type {{ bits?: number, normalize?: import('../keyring.js').Normalization }} */ (opts ?? {});
      if (!Number.isInteger(bits) || bits < min || bits > max || !NORMALIZATIONS.includes(normalize)) {
        throw new EnveilError('INVALID_ARGUMENT', `collections.${name}.blindIndex.${field}: bits must be ${min}-${max} and normalize one of ${NORMALIZATIONS.join(', ')}`);
      }
      bi[field] = { bits, normalize };
    }
    if (indexes.some((f) => encrypted.includes(f))) {
      throw new EnveilError('INVALID_ARGUMENT', `collections.${name}: an encrypted field cannot have a plain index (use blindIndex)`);
    }
    out[name] = { encrypted: [...encrypted], blindIndex: bi, indexes: [...indexes], pad: /** @type {'padme' | 'none'} */ (pad) };
  }
  return out;
}

/** Whether two normalised declarations are the same. @param {CollectionSpec | undefined} a @param {CollectionSpec} b */
export function sameDeclaration(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The declaration of `collection`, or INVALID_ARGUMENT naming it.
 * @param {Record<string, CollectionSpec>} collections
 * @param {unknown} collection
 */
export function specOf(collections, collection) {
  const spec = typeof collection === 'string' ? collections[collection] : undefined;
  if (!spec) throw new EnveilError('INVALID_ARGUMENT', `unknown collection '${String(collection)}': declare it in collections`);
  return spec;
}

/**
 * What changed from `saved` to `current` that stored records must follow:
 * fields newly declared encrypted are encrypted in place (a data-key
 * rotation of the collection); a blind index whose bits or normalisation
 * changed, or that was added to an already encrypted field, is recomputed.
 * New collections need nothing but keys.
 * @param {Record<string, CollectionSpec>} saved
 * @param {Record<string, CollectionSpec>} current
 * @returns {Migration[]}
 */
export function declarationMigrations(saved, current) {
  /** @type {Migration[]} */
  const pending = [];
  for (const [name, spec] of Object.entries(current)) {
    const before = saved[name];
    if (!before) continue;
    if (spec.encrypted.some((f) => !before.encrypted.includes(f))) pending.push({ kind: 'data', collection: name });
    for (const [field, bi] of Object.entries(spec.blindIndex)) {
      const old = before.blindIndex[field];
      const changed = old && (old.bits !== bi.bits || old.normalize !== bi.normalize);
      // A blind index added to a field that was already encrypted: the
      // records stored before have none yet.
      const added = !old && before.encrypted.includes(field);
      if (changed || added) pending.push({ kind: 'index', collection: name, field });
    }
  }
  return pending;
}

/**
 * The declarations to use after unlocking: the app's, plus the collections a
 * component declared for itself ('__' names, e.g. the token vault's) that
 * the app does not pass.
 * @param {Record<string, CollectionSpec>} declared
 * @param {Record<string, CollectionSpec>} saved
 */
export function withInternalCollections(declared, saved) {
  let out = declared;
  for (const [name, spec] of Object.entries(saved)) {
    if (name.startsWith('__') && !out[name]) out = { ...out, [name]: spec };
  }
  return out;
}
