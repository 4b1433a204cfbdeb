/**
 * Keyring: data keys and index keys held in WASM memory, exported only
 * wrapped under a 32-byte KEK. Encrypts to record format v1 (DESIGN.md §3)
 * and computes blind indexes (§4). Synchronous after `await init()`.
 * @module
 */
import { EnveilError, coreResult } from './errors.js';
import { limits, nameArg } from './internal/limits.js';
import { byteCount, bytesArg, bytesOrString, callCore, contextBytes, keyIdArg, secretBytesOrString, stringArg, wasm } from './internal/wasm.js';
import { WasmHandle, newHandle } from './internal/wasm-handle.js';

/** @typedef {'data' | 'index'} KeyKind */
/** @typedef {'primary' | 'active' | 'retired'} KeyStatus */
/** @typedef {'none' | 'lowercase' | 'trim-lowercase' | 'digits'} Normalization */

/**
 * @typedef {object} KeyringEntry
 * @property {number} id uint32, never 0
 * @property {KeyKind} kind
 * @property {string} scope a collection for data keys, "collection/field" for index keys
 * @property {KeyStatus} status
 * @property {number} createdAt milliseconds since the epoch
 * @property {Uint8Array} wrapped the key sealed under the KEK (102 bytes)
 * @property {string} kekId the KEK that wrapped it
 */

const KINDS = /** @type {const} */ (['', 'data', 'index']);
const STATUSES = /** @type {const} */ (['', 'primary', 'active', 'retired']);

const DECRYPT_MESSAGES = {
  AUTH_FAILED: 'ciphertext did not authenticate for this context',
  UNKNOWN_KEY: 'ciphertext was made with a key this keyring does not hold',
  INVALID_ARGUMENT: 'ciphertext or context is not acceptable',
};

/**
 * The ASCII text the core wrote at `ptr`, `length` bytes long.
 * @param {Uint8Array} heap
 * @param {number} ptr
 * @param {number} length
 */
function asciiAt(heap, ptr, length) {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(heap[ptr + i]);
  return text;
}

const encoder = new TextEncoder();

/** UTF-8 of the valid names in use (a handful per app). @type {Map<string, Uint8Array>} */
const nameCache = new Map();
/**
 * A scope or field name, checked as the core checks it (nameArg) and as
 * UTF-8; names in use are cached, so the hot paths skip both.
 * @param {unknown} value
 * @param {string} what
 * @returns {Uint8Array}
 */
function nameBytes(value, what) {
  let bytes = typeof value === 'string' ? nameCache.get(value) : undefined;
  if (!bytes) {
    const name = nameArg(value, what);
    bytes = encoder.encode(name);
    if (nameCache.size < 1024) nameCache.set(name, bytes);
  }
  return bytes;
}

/**
 * The data-key scope of encrypt() as UTF-8. Unlike blindIndex, encrypt
 * leaves the name rules to the core, where a scope no key can have is
 * UNKNOWN_KEY (no data key for it), so only a valid name is cached.
 * @param {unknown} value
 * @returns {Uint8Array}
 */
function scopeBytes(value) {
  const cached = typeof value === 'string' ? nameCache.get(value) : undefined;
  if (cached) return cached;
  const scope = stringArg(value, 'scope');
  try {
    return nameBytes(scope, 'scope');
  } catch {
    return encoder.encode(scope);
  }
}

/** @param {number} id */
const noKey = (id) => `no key with id ${id}`;

/**
 * @param {unknown} options
 * @param {string} method
 * @returns {Record<string, unknown>}
 */
function optionsArg(options, method) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw new EnveilError('INVALID_ARGUMENT', `${method}: options must be an object`);
  }
  return /** @type {Record<string, unknown>} */ (options);
}

/**
 * @param {unknown} value
 * @param {readonly string[]} allowed
 * @param {string} name
 */
function enumArg(value, allowed, name) {
  const index = typeof value === 'string' && value !== '' ? allowed.indexOf(value) : -1;
  if (index < 0) {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be one of ${allowed.filter(Boolean).map((a) => `'${a}'`).join(', ')}`);
  }
  return index;
}

export class Keyring {
  /** @type {WasmHandle<any>} callCore passes its arguments as one spread array */
  #handle;
  #kekId;

  /**
   * @private Use Keyring.create() or Keyring.load().
   * @param {import('../dist/enveil.wasm.js').KeyringHandle} handle
   * @param {string} kekId
   */
  constructor(handle, kekId) {
    this.#handle = new WasmHandle(this, handle, 'this keyring was destroyed: its keys are wiped');
    this.#kekId = kekId;
  }

  /**
   * @param {unknown} kek
   * @param {unknown} store
   * @param {unknown} kekId
   * @param {unknown} suite
   * @param {(ring: Keyring) => void} fill adds the first keys; if it throws,
   *   the keyring is destroyed, so no key stays in memory
   * @returns {Keyring}
   */
  static #open(kek, store, kekId, suite = /** @type {unknown} */ ('aes-256-gcm'), fill) {
    const m = wasm();
    const suiteCode = suite === 'aes-256-gcm' ? m.SUITE_AES_256_GCM : suite === 'chacha20-poly1305' ? m.SUITE_CHACHA20_POLY1305 : -1;
    if (suiteCode < 0) throw new EnveilError('INVALID_ARGUMENT', "suite must be 'aes-256-gcm' or 'chacha20-poly1305'");
    const kekBytes = bytesArg(kek, 'kek', limits().KEK_BYTES);
    const storeName = nameArg(store, 'store', 'id');
    const kekName = nameArg(kekId, 'kekId', 'id');
    const Handle = /** @type {new () => import('../dist/enveil.wasm.js').KeyringHandle} */ (m.KeyringHandle);
    const handle = newHandle(Handle, (h) => callCore([kekBytes], null,
      ([p, n]) => h.create(p, n, storeName, kekName, suiteCode), {}));
    const ring = new Keyring(handle, kekName);
    try {
      fill(ring);
    } catch (err) {
      ring.destroy();
      throw err;
    }
    return ring;
  }

  /**
   * A new keyring with one primary data key for scope "default".
   * @param {{ kek: Uint8Array, store?: string, kekId?: string }} options
   *   kek: the 32-byte key-encryption key (copied into WASM memory);
   *   store: name bound into every wrapped key (@default 'default');
   *   kekId: id of the KEK, bound likewise (@default 'default');
   *   suite: what encrypt() seals with, 'aes-256-gcm' (@default) or
   *   'chacha20-poly1305' (record suite 0x02, faster under WASM); decrypt()
   *   opens both
   * @returns {Keyring}
   */
  static create(options) {
    const { kek, store = 'default', kekId = 'default', suite } = optionsArg(options, 'Keyring.create');
    return Keyring.#open(kek, store, kekId, suite, (ring) => ring.rotate('data', 'default'));
  }

  /**
   * A keyring from entries made by export(), unwrapped under `kek`. All or
   * nothing: if any entry does not unwrap, KEY_UNAVAILABLE is thrown and no
   * key stays in memory.
   * @param {{ kek: Uint8Array, entries: KeyringEntry[], store?: string, kekId?: string }} options
   *   kekId defaults to the entries' own kekId.
   * @returns {Keyring}
   */
  static load(options) {
    const { kek, entries, store = 'default', suite } = optionsArg(options, 'Keyring.load');
    if (!Array.isArray(entries)) {
      throw new EnveilError('INVALID_ARGUMENT', 'entries must be an array (from keyring.export())');
    }
    const kekId = optionsArg(options, 'Keyring.load').kekId ?? entries[0]?.kekId ?? 'default';
    return Keyring.#open(kek, store, kekId, suite, (ring) => entries.forEach((entry, i) => ring.#import(entry, i, kekId)));
  }

  /**
   * @param {unknown} entry
   * @param {number} i
   * @param {string} kekId
   */
  #import(entry, i, kekId) {
    const name = `entries[${i}]`;
    if (entry === null || typeof entry !== 'object') {
      throw new EnveilError('INVALID_ARGUMENT', `${name} must be an object`);
    }
    const e = /** @type {Record<string, unknown>} */ (entry);
    const id = keyIdArg(e.id, `${name}.id`);
    if (e.kekId !== undefined && e.kekId !== kekId) {
      throw new EnveilError('KEY_UNAVAILABLE', `${name} is wrapped under KEK '${String(e.kekId)}', not '${kekId}'`);
    }
    const kind = enumArg(e.kind, KINDS, `${name}.kind`);
    const status = enumArg(e.status, STATUSES, `${name}.status`);
    const scope = stringArg(e.scope, `${name}.scope`);
    const createdAt = typeof e.createdAt === 'number' ? e.createdAt : 0;
    const wrapped = bytesArg(e.wrapped, `${name}.wrapped`, limits().WRAPPED_KEY_BYTES);
    callCore([wrapped], null, ([p, n]) => this.#handle.live().importEntry(id, kind, scope, status, createdAt, p, n), {
      KEY_UNAVAILABLE: `${name} does not unwrap under this KEK (wrong KEK, another store, or an edited entry)`,
      INVALID_ARGUMENT: `${name} is malformed (bad scope, duplicate id, or a second primary for its scope)`,
    });
  }

  /**
   * Adds one entry from another keyring instance's export() (same KEK), e.g.
   * a key another tab created. KEY_UNAVAILABLE if it does not unwrap.
   * @param {KeyringEntry} entry
   */
  importEntry(entry) {
    this.#import(entry, 0, this.#kekId);
  }

  /** Id of the KEK the entries are wrapped under. */
  get kekId() {
    return this.#kekId;
  }

  /**
   * Adds a new random key as the primary for (kind, scope); the previous
   * primary stays readable as 'active'. Persist export() afterwards.
   * @param {KeyKind} kind
   * @param {string} scope a collection name for 'data'; "collection/field" for 'index'
   * @returns {number} the new key id
   */
  rotate(kind, scope) {
    const k = enumArg(kind, KINDS, 'kind');
    stringArg(scope, 'scope');
    return coreResult(this.#handle.live().rotate(k, scope, Date.now()), () => ({
      UNSUPPORTED: 'no secure random source is available',
      INVALID_ARGUMENT: `scope '${scope}' is not valid for a ${kind} key (1-${limits().KEYRING_MAX_NAME_BYTES} bytes`
        + ` without '/' or NUL${kind === 'index' ? ', as collection/field' : ''})`,
    }));
  }

  /**
   * Marks a non-primary key 'active' (still in use) or 'retired' (no record
   * uses it). Retired keys still decrypt.
   * @param {number} id
   * @param {'active' | 'retired'} status
   */
  setStatus(id, status) {
    const s = enumArg(status, STATUSES, 'status');
    keyIdArg(id, 'id');
    coreResult(this.#handle.live().setStatus(id, s), () => ({
      UNKNOWN_KEY: noKey(id),
      INVALID_ARGUMENT: 'a primary key changes only through rotate()',
    }));
  }

  /**
   * Makes key `id` the primary of its kind and scope again (the current
   * primary becomes 'active'): with remove(), undoes a rotate() whose new key
   * could not be persisted.
   * @param {number} id
   */
  promote(id) {
    keyIdArg(id, 'id');
    coreResult(this.#handle.live().promote(id), () => ({ UNKNOWN_KEY: noKey(id) }));
  }

  /**
   * Forgets key `id`, wiping it. Only for keys never persisted or used:
   * records under a removed key can no longer be read by this keyring.
   * @param {number} id
   */
  remove(id) {
    keyIdArg(id, 'id');
    coreResult(this.#handle.live().remove(id), () => ({ UNKNOWN_KEY: noKey(id) }));
  }

  /**
   * Re-wraps every key under a new KEK (master-key rotation). Records are
   * untouched; persist export() afterwards.
   * @param {{ kek: Uint8Array, kekId: string }} options
   */
  rewrap(options) {
    const opts = optionsArg(options, 'rewrap');
    const kek = bytesArg(opts.kek, 'kek', limits().KEK_BYTES);
    const kekId = nameArg(opts.kekId, 'kekId', 'id');
    const handle = this.#handle.live();
    callCore([kek], null, ([p, n]) => handle.rewrap(p, n, kekId), {});
    this.#kekId = kekId;
  }

  /**
   * Encrypts to record format v1 under the primary data key of `scope`.
   * @param {Uint8Array | string} plaintext strings are encoded as UTF-8
   * @param {Uint8Array | string} context where the value lives (e.g. collection, record id, field); decrypt must give the same
   * @param {{ scope?: string }} [options] scope: data-key scope (@default 'default')
   * @returns {Uint8Array}
   */
  encrypt(plaintext, context, options) {
    const scope = options === undefined ? 'default' : optionsArg(options, 'encrypt').scope ?? 'default';
    const scopeName = scopeBytes(scope);
    const handle = this.#handle.live();
    const ctx = contextBytes(context, 'context');
    const [pt, ours] = secretBytesOrString(plaintext, 'plaintext');
    try {
      return callCore([scopeName, ctx, pt], byteCount(pt) + limits().RECORD_OVERHEAD_BYTES,
        (a) => handle.encrypt(...a), () => ({
          UNKNOWN_KEY: `no data key for scope '${scope}': call rotate('data', '${scope}') first`,
          INVALID_ARGUMENT: 'plaintext too large',
        }));
    } finally {
      if (ours) pt.fill(0);
    }
  }

  /**
   * Opens a record made by any data key of this keyring. Throws
   * AUTH_FAILED for anything that does not verify (tampered, truncated,
   * another context) and UNKNOWN_KEY when its key is not held here.
   * @param {Uint8Array} ciphertext
   * @param {Uint8Array | string} context
   * @returns {Uint8Array}
   */
  decrypt(ciphertext, context) {
    bytesArg(ciphertext, 'ciphertext');
    const ctx = contextBytes(context, 'context');
    const handle = this.#handle.live();
    const overhead = limits().RECORD_OVERHEAD_BYTES;
    const recordBytes = byteCount(ciphertext);
    if (recordBytes < overhead) {
      throw new EnveilError('AUTH_FAILED', DECRYPT_MESSAGES.AUTH_FAILED);
    }
    return callCore([ciphertext, ctx], recordBytes - overhead,
      (a) => handle.decrypt(...a), DECRYPT_MESSAGES);
  }

  /**
   * The blind index "<keyId>:<hex>" of `value` for equality search on an
   * encrypted field, under the primary index key of "scope/field" (or under
   * `keyId`, to query values written before an index-key rotation).
   * String values are NFC-normalised first unless normalize is 'none'.
   * @param {string} scope collection
   * @param {string} field
   * @param {Uint8Array | string} value
   * @param {{ bits?: number, normalize?: Normalization, keyId?: number }} [options]
   *   bits: 8-256 (@default 32); normalize: @default 'none'
   * @returns {string}
   */
  blindIndex(scope, field, value, options) {
    const l = limits();
    const scopeName = nameBytes(scope, 'scope');
    const fieldName = nameBytes(field, 'field');
    const { bits = l.DEFAULT_BLIND_INDEX_BITS, normalize = 'none', keyId = 0 } = optionsArg(options, 'blindIndex');
    const mode = enumArg(normalize, l.NORMALIZATIONS, 'normalize');
    if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < l.BLIND_INDEX_MIN_BITS || bits > l.BLIND_INDEX_MAX_BITS) {
      throw new EnveilError('INVALID_ARGUMENT', `bits must be an integer from ${l.BLIND_INDEX_MIN_BITS} to ${l.BLIND_INDEX_MAX_BITS}`);
    }
    keyIdArg(keyId, 'keyId', 0);
    const [v, ours] = secretBytesOrString(typeof value === 'string' && mode !== 0 ? value.normalize('NFC') : value, 'value');
    const handle = this.#handle.live();
    const k = keyId, b = bits;
    try {
      return callCore([scopeName, fieldName, v], l.BLIND_INDEX_MAX_TEXT_BYTES, ([sp, sn, fp, fn, p, n, o, on]) =>
        handle.blindIndex(sp, sn, fp, fn, p, n, mode, b, k, o, on), () => ({
        UNKNOWN_KEY: keyId
          ? `key ${keyId} is not an index key of '${scope}/${field}'`
          : `no index key for '${scope}/${field}': call rotate('index', '${scope}/${field}') first`,
        INVALID_ARGUMENT: `value is not valid UTF-8 for normalize '${normalize}'`,
      }), asciiAt);
    } finally {
      if (ours) v.fill(0);
    }
  }

  /**
   * Wraps a 32-byte secret of the caller's (a recovery key, say) under this
   * keyring's KEK, bound to the store and `context`.
   * @param {Uint8Array} secret 32 bytes
   * @param {Uint8Array | string} context
   * @returns {Uint8Array} 102 bytes
   */
  wrapSecret(secret, context) {
    const l = limits();
    bytesArg(secret, 'secret', l.KEY_BYTES);
    const ctx = contextBytes(context, 'context');
    const handle = this.#handle.live();
    return callCore([ctx, secret], l.WRAPPED_KEY_BYTES, (a) => handle.wrapSecret(...a), {});
  }

  /**
   * Opens wrapSecret() output; KEY_UNAVAILABLE if it was made under another
   * KEK, store or context, or edited.
   * @param {Uint8Array} wrapped 102 bytes
   * @param {Uint8Array | string} context
   * @returns {Uint8Array} 32 bytes
   */
  unwrapSecret(wrapped, context) {
    const l = limits();
    bytesArg(wrapped, 'wrapped', l.WRAPPED_KEY_BYTES);
    const ctx = contextBytes(context, 'context');
    const handle = this.#handle.live();
    return callCore([ctx, wrapped], l.KEY_BYTES, (a) => handle.unwrapSecret(...a), {
      KEY_UNAVAILABLE: 'the wrapped secret does not unwrap under this keyring',
    });
  }

  /**
   * Every entry, wrapped: safe to persist. Never contains a key.
   * @returns {KeyringEntry[]}
   */
  export() {
    const handle = this.#handle.live();
    /** @type {KeyringEntry[]} */
    const entries = [];
    for (let i = 0; i < handle.size(); i++) {
      const e = handle.entry(i);
      entries.push({
        id: e.id,
        kind: /** @type {KeyKind} */ (KINDS[e.kind]),
        scope: e.scope,
        status: /** @type {KeyStatus} */ (STATUSES[e.status]),
        createdAt: e.createdAt,
        wrapped: e.wrapped,
        kekId: this.#kekId,
      });
    }
    return entries;
  }

  /** Wipes every key and the KEK from WASM memory. Idempotent. */
  destroy() {
    this.#handle.destroy();
  }

  /** Whether destroy() has been called. */
  get destroyed() {
    return this.#handle.destroyed;
  }
}
