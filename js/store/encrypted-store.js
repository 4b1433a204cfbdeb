/**
 * EncryptedStore: records in IndexedDB whose declared fields are encrypted
 * (record format v1, one data key per collection) and optionally searchable
 * through blind indexes. Keys live in a Keyring wrapped under a store master
 * key (SMK), which a KeyProvider wraps: one provider call per unlock.
 * @module
 */
import { EnveilError } from '../errors.js';
import { randomBytes, unwrapKey, wrapKey } from '../hazmat.js';
import { Keyring } from '../keyring.js';
import { init, isBytes } from '../internal/wasm.js';
import { labelled, toHex, wipe } from '../internal/encoding.js';
import { withRotationLock } from '../internal/rotation-lock.js';
import { Listeners } from '../internal/listeners.js';
import {
  AUDIT, KEYRING, META, blindIndexName, inTransaction, openDatabase, plainIndexName, recordStore, storageError,
} from './database.js';
import { formatRecoveryKey, parseRecoveryKey } from './recovery-key.js';

/** @typedef {import('../keyring.js').Normalization} Normalization */
/** @typedef {import('./database.js').CollectionSpec} CollectionSpec */
/**
 * @typedef {object} KeyProvider
 * @property {string} id stable id of this KEK
 * @property {(key: Uint8Array, context: Uint8Array) => Promise<Uint8Array>} wrapKey
 * @property {(wrapped: Uint8Array, context: Uint8Array) => Promise<Uint8Array>} unwrapKey
 */
/**
 * @typedef {object} AuditEntry
 * @property {number} seq 1, 2, 3…
 * @property {number} at milliseconds since the epoch
 * @property {string} event
 * @property {Record<string, unknown>} details never secrets
 * @property {string} mac "<keyId>:<hex>" HMAC-SHA256 chaining this entry to the previous
 */
/**
 * @typedef {object} RotationState
 * @property {'data' | 'index'} kind
 * @property {string} collection
 * @property {string} [field]
 * @property {number} newKeyId
 * @property {number[]} oldKeyIds
 * @property {string | number | null} after the last record id re-encrypted
 * @property {number} processed
 * @property {Array<string | number>} [skipped] records that did not authenticate, left as they were
 */

const RESERVED_FIELDS = new Set(['id', '__enc', '__bi']);
const NAME = /^[^/\0.]{1,255}$/;
const NORMALIZE = ['none', 'lowercase', 'trim-lowercase', 'digits'];
const textDecoder = new TextDecoder();

/** @param {string} name @param {string} smkId */
const smkContext = (name, smkId) => labelled('enveil/v1/smk', name, smkId);
/** @param {string} name @param {string} smkId */
const recoveryContext = (name, smkId) => labelled('enveil/v1/recovery', name, smkId);
const RECOVERY_SECRET = 'recovery-key';
/** The keyring key that chains the audit log (an HMAC key, like index keys). */
const AUDIT_SCOPE = '__audit/chain';

/**
 * @param {string} collection
 * @param {IDBValidKey} id
 * @param {string} field
 */
function fieldContext(collection, id, field) {
  return labelled('enveil/v1/field', collection, typeof id === 'number' ? `n:${id}` : `s:${String(id)}`, field);
}

/**
 * What an audit entry's MAC covers: the previous MAC and every field.
 * @param {string} prevMac
 * @param {{ seq: number, at: number, event: string, details: Record<string, unknown> }} e
 */
function auditMessage(prevMac, e) {
  return JSON.stringify([prevMac, e.seq, e.at, e.event, e.details]);
}

/** The key id a v1 record was sealed with (bytes 2..5). @param {Uint8Array} record */
function recordKeyId(record) {
  return record.length >= 6 ? new DataView(record.buffer, record.byteOffset, record.byteLength).getUint32(2) : -1;
}

/**
 * @param {unknown} collections
 * @returns {Record<string, CollectionSpec>}
 */
function normalizeCollections(collections, allowInternal = false) {
  if (collections === null || typeof collections !== 'object') {
    throw new EnveilError('INVALID_ARGUMENT', 'collections must be an object of collection declarations');
  }
  /** @type {Record<string, CollectionSpec>} */
  const out = {};
  for (const [name, raw] of Object.entries(collections)) {
    if (!NAME.test(name) || (!allowInternal && name.startsWith('__'))) {
      throw new EnveilError('INVALID_ARGUMENT', `collection name '${name}' must be 1-255 characters without '/', '.' or NUL, not starting with '__'`);
    }
    const spec = /** @type {Record<string, unknown>} */ (raw ?? {});
    const encrypted = spec.encrypted ?? [];
    const indexes = spec.indexes ?? [];
    const blindIndex = spec.blindIndex ?? {};
    if (!Array.isArray(encrypted) || !Array.isArray(indexes) || typeof blindIndex !== 'object' || blindIndex === null) {
      throw new EnveilError('INVALID_ARGUMENT', `collections.${name}: encrypted and indexes must be arrays, blindIndex an object`);
    }
    for (const field of [...encrypted, ...indexes, ...Object.keys(blindIndex)]) {
      if (typeof field !== 'string' || !NAME.test(field) || RESERVED_FIELDS.has(field)) {
        throw new EnveilError('INVALID_ARGUMENT', `collections.${name}: field '${String(field)}' is not a valid field name`);
      }
    }
    /** @type {CollectionSpec['blindIndex']} */
    const bi = {};
    for (const [field, opts] of Object.entries(blindIndex)) {
      if (!encrypted.includes(field)) {
        throw new EnveilError('INVALID_ARGUMENT', `collections.${name}.blindIndex.${field}: only encrypted fields get a blind index`);
      }
      const { bits = 32, normalize = 'none' } = /** @type {{ bits?: number, normalize?: Normalization }} */ (opts ?? {});
      if (!Number.isInteger(bits) || bits < 8 || bits > 256 || !NORMALIZE.includes(normalize)) {
        throw new EnveilError('INVALID_ARGUMENT', `collections.${name}.blindIndex.${field}: bits must be 8-256 and normalize one of ${NORMALIZE.join(', ')}`);
      }
      bi[field] = { bits, normalize };
    }
    if (indexes.some((f) => encrypted.includes(f))) {
      throw new EnveilError('INVALID_ARGUMENT', `collections.${name}: an encrypted field cannot have a plain index (use blindIndex)`);
    }
    out[name] = { encrypted: [...encrypted], blindIndex: bi, indexes: [...indexes] };
  }
  return out;
}

/** @param {unknown} provider @returns {KeyProvider} */
function providerArg(provider, name = 'provider') {
  const p = /** @type {KeyProvider} */ (provider);
  if (!p || typeof p.id !== 'string' || typeof p.wrapKey !== 'function' || typeof p.unwrapKey !== 'function') {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be a KeyProvider ({ id, wrapKey, unwrapKey })`);
  }
  return p;
}

/**
 * Asks a provider for a key, turning every failure (rejection, wrong type,
 * wrong size) into KEY_UNAVAILABLE.
 * @param {() => Promise<Uint8Array>} call
 * @param {string} what
 * @param {number} [length]
 */
async function fromProvider(call, what, length) {
  let result;
  try {
    result = await call();
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'KEY_UNAVAILABLE') throw err;
    throw new EnveilError('KEY_UNAVAILABLE', `the key provider could not ${what}`, { cause: err });
  }
  if (!isBytes(result) || (length !== undefined && result.length !== length)) {
    throw new EnveilError('KEY_UNAVAILABLE', `the key provider returned no usable bytes to ${what}`);
  }
  return result;
}

export class EncryptedStore {
  /** @type {import('idb').IDBPDatabase | null} */
  #db = null;
  #name;
  #factory;
  /** @type {Record<string, CollectionSpec>} */
  #collections;
  /** @type {KeyProvider} */
  #provider;
  /** @type {Keyring | null} */
  #ring = null;
  /** @type {Promise<void> | null} a keyring change being persisted: writes wait for it */
  #keyringBusy = null;
  #autoLockMs;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #autoLockTimer;
  #closed = false;
  /** close() called: no new work; the lock's audit entry may still be written */
  #closing = false;
  /** Another instance (tab, worker) changed the keyring: reload before use. */
  #stale = false;
  /** @type {BroadcastChannel | null} */
  #channel = null;

  /**
   * @private Use EncryptedStore.open() or EncryptedStore.recover().
   * @param {{ name: string, factory: IDBFactory, collections: Record<string, CollectionSpec>, provider: KeyProvider, autoLockMs: number }} o
   */
  constructor(o) {
    this.#name = o.name;
    this.#factory = o.factory;
    this.#collections = o.collections;
    this.#provider = o.provider;
    this.#autoLockMs = o.autoLockMs;
  }

  /**
   * Opens (or creates) the store `name` and unlocks it with `provider`.
   * Resumes a key rotation that a crash interrupted.
   * @param {{ name: string, provider: KeyProvider, collections: Record<string, Partial<CollectionSpec>>,
   *   indexedDB?: IDBFactory, autoLockMs?: number }} options
   * @returns {Promise<EncryptedStore>}
   */
  static async open(options) {
    const store = await EncryptedStore.#prepare(options, providerArg(options?.provider));
    try {
      await store.#unlockOrCreate();
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  /**
   * After the platform key was lost: unlocks the store `name` with the
   * recovery key from createRecoveryKey(), then re-wraps it under
   * `newProvider`. The recovery key keeps working afterwards.
   * @param {{ name: string, recoveryKey: string, newProvider: KeyProvider,
   *   collections?: Record<string, Partial<CollectionSpec>>, indexedDB?: IDBFactory, autoLockMs?: number }} options
   * @returns {Promise<EncryptedStore>}
   */
  static async recover(options) {
    const newProvider = providerArg(options?.newProvider, 'newProvider');
    const recoveryKey = parseRecoveryKey(options?.recoveryKey);
    const store = await EncryptedStore.#prepare({ ...options, collections: options?.collections ?? null }, newProvider);
    try {
      const [smkMeta, recovery, entries] = await store.#read([META, KEYRING], async (tx) => [
        await tx.objectStore(META).get('smk'),
        await tx.objectStore(META).get('recovery'),
        await tx.objectStore(KEYRING).getAll(),
      ], 'reading the keyring');
      if (!smkMeta || !recovery) {
        throw new EnveilError('KEY_UNAVAILABLE', `store '${store.#name}' has no recovery key`);
      }
      let smk;
      try {
        smk = unwrapKey(recoveryKey, recovery.smkByRecovery, recoveryContext(store.#name, smkMeta.smkId));
      } catch (err) {
        throw new EnveilError('KEY_UNAVAILABLE', 'this recovery key does not unlock the store', { cause: err });
      }
      try {
        store.#ring = Keyring.load({ kek: smk, entries, store: store.#name, kekId: smkMeta.smkId });
      } finally {
        wipe(smk);
      }
      await store.#rewrapMaster(newProvider, recoveryKey);
      await store.#keyRotated({ kind: 'master', providerId: newProvider.id, recovered: true });
      await store.#resumeQuietly();
    } catch (err) {
      store.close();
      throw err;
    } finally {
      wipe(recoveryKey);
    }
    store.#touch();
    return store;
  }

  /**
   * @param {any} options
   * @param {KeyProvider} provider
   */
  static async #prepare(options, provider) {
    await init();
    if (!options || typeof options !== 'object') throw new EnveilError('INVALID_ARGUMENT', 'options must be an object');
    const { name, indexedDB = globalThis.indexedDB, autoLockMs = 0 } = options;
    if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
      throw new EnveilError('INVALID_ARGUMENT', 'name must be a non-empty string of at most 255 characters');
    }
    if (!indexedDB || typeof indexedDB.open !== 'function') {
      throw new EnveilError('UNSUPPORTED', 'no IndexedDB: pass options.indexedDB (e.g. fake-indexeddb in Node)');
    }
    if (typeof autoLockMs !== 'number' || autoLockMs < 0) {
      throw new EnveilError('INVALID_ARGUMENT', 'autoLockMs must be a number of milliseconds (0: never)');
    }
    let collections = options.collections === null ? null : normalizeCollections(options.collections);
    const store = new EncryptedStore({ name, factory: indexedDB, collections: collections ?? {}, provider, autoLockMs });
    if (collections === null) {
      // recover() without declarations: use the ones the store recorded.
      await store.#connect();
      const saved = await store.#read([META], (tx) => tx.objectStore(META).get('collections'), 'reading the schema');
      store.#collections = saved ?? {};
      store.#db?.close();
      store.#db = null;
    }
    await store.#connect();
    store.#listen();
    return store;
  }

  #listen() {
    if (typeof BroadcastChannel !== 'function' || this.#channel) return;
    this.#channel = new BroadcastChannel(`enveil:${this.#name}`);
    this.#channel.onmessage = () => {
      this.#stale = true;
    };
    /** @type {any} */ (this.#channel).unref?.();
  }

  /** Tells other instances of this store that the keyring changed. */
  #announce() {
    this.#channel?.postMessage('keyring');
  }

  /**
   * Brings the in-memory keyring in line with the stored one after another
   * instance rotated keys. If the store key itself changed (master-key
   * rotation elsewhere), locks: unlock() asks the provider again.
   */
  async #syncKeyring() {
    this.#stale = false;
    const ring = this.#unlocked();
    const [smkMeta, entries] = await this.#read([META, KEYRING], async (tx) => [
      await tx.objectStore(META).get('smk'),
      /** @type {import('../keyring.js').KeyringEntry[]} */ (await tx.objectStore(KEYRING).getAll()),
    ], 'reading the keyring');
    if (!smkMeta || smkMeta.smkId !== ring.kekId) {
      this.lock();
      throw new EnveilError('LOCKED', `the key of store '${this.#name}' was rotated elsewhere: call unlock()`);
    }
    const have = new Map(ring.export().map((e) => [e.id, e.status]));
    // Imported as active first: the ring may still hold the old primary.
    for (const e of entries) if (!have.has(e.id)) ring.importEntry({ ...e, status: e.status === 'primary' ? 'active' : e.status });
    for (const e of entries) if (e.status === 'primary' && have.get(e.id) !== 'primary') ring.promote(e.id);
    for (const e of entries) {
      if (e.status !== 'primary' && have.get(e.id) !== e.status && e.status !== undefined) ring.setStatus(e.id, e.status);
    }
  }

  async #connect() {
    this.#db = await openDatabase(this.#factory, this.#name, this.#collections, {
      onVersionChange: () => {
        this.#db = null;
      },
    });
  }

  /** The open connection, reopened if another tab's upgrade closed it. */
  async #database() {
    if (this.#closed) throw new EnveilError('STORAGE_FAILED', `store '${this.#name}' is closed`);
    if (!this.#db) await this.#connect();
    return /** @type {import('idb').IDBPDatabase} */ (this.#db);
  }

  /**
   * @template T
   * @param {string[]} stores
   * @param {(tx: any) => Promise<T>} fn
   * @param {string} what
   */
  async #read(stores, fn, what) {
    return inTransaction(await this.#database(), stores, 'readonly', fn, { what });
  }

  /**
   * @template T
   * @param {string[]} stores
   * @param {(tx: any) => Promise<T>} fn
   * @param {string} what
   * @param {'default' | 'strict'} [durability]
   */
  async #write(stores, fn, what, durability = 'default') {
    return inTransaction(await this.#database(), stores, 'readwrite', fn, { what, durability });
  }

  // ---------------------------------------------------------------- keys

  async #unlockOrCreate() {
    const [smkMeta, entries, saved] = await this.#read([META, KEYRING], async (tx) => [
      await tx.objectStore(META).get('smk'),
      await tx.objectStore(KEYRING).getAll(),
      /** @type {Record<string, CollectionSpec> | undefined} */ (await tx.objectStore(META).get('collections')),
    ], 'reading the keyring');
    if (!smkMeta) {
      await this.#create();
    } else {
      await this.#unlockWith(smkMeta, entries);
      // Collections a component declared for itself (the token vault's) stay.
      for (const [name, spec] of Object.entries(saved ?? {})) {
        if (name.startsWith('__') && !this.#collections[name]) this.#collections = { ...this.#collections, [name]: spec };
      }
      await this.#migrateDeclarations(saved ?? {});
    }
    this.#touch();
  }

  /**
   * Declarations changed since the last open: new collections and index
   * fields get keys; a blind index whose bits or normalisation changed is
   * recomputed, and fields newly declared encrypted are encrypted in place,
   * each through a (resumable) rotation started before the new declarations
   * are saved, so a crash in between only repeats work.
   * @param {Record<string, CollectionSpec>} saved
   */
  async #migrateDeclarations(saved) {
    /** @type {Array<{ kind: 'data' | 'index', collection: string, field?: string }>} */
    const pending = [];
    for (const [name, spec] of Object.entries(this.#collections)) {
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
    // The queue is saved with the new declarations, in one transaction: a
    // crash can only leave work to do, never forget it.
    const queued = (await this.#read([META], (tx) => tx.objectStore(META).get('migrations'), 'reading pending migrations')) ?? [];
    const known = new Set(queued.map((/** @type {any} */ q) => JSON.stringify(q)));
    const queue = [...queued, ...pending.filter((q) => !known.has(JSON.stringify(q)))];
    await this.#changeKeyring(() => this.#addKeysAndSave({ migrations: queue }));
    await this.#resumeQuietly();
  }

  /**
   * Resumes rotations without failing the caller (open, declare, recover):
   * the work stays saved and the next rotation call or open retries it.
   */
  async #resumeQuietly() {
    try {
      await this.#resumeRotation();
    } catch (err) {
      this.#emit('rotation-error', err);
    }
  }

  async #create() {
    const smk = randomBytes(32);
    const smkId = `smk-${toHex(randomBytes(8))}`;
    try {
      const wrapped = await fromProvider(() => this.#provider.wrapKey(smk.slice(), smkContext(this.#name, smkId)), 'wrap the store key');
      const ring = Keyring.create({ kek: smk, store: this.#name, kekId: smkId });
      // Keyring.create made a 'default' data key; a store keys per collection.
      ring.remove(ring.export()[0].id);
      this.#ring = ring;
      await this.#addKeysAndSave({ smk: { smkId, providerId: this.#provider.id, wrapped } });
    } catch (err) {
      this.#ring?.destroy();
      this.#ring = null;
      throw err;
    } finally {
      wipe(smk);
    }
  }

  /**
   * @param {{ smkId: string, providerId: string, wrapped: Uint8Array }} smkMeta
   * @param {import('../keyring.js').KeyringEntry[]} entries
   */
  async #unlockWith(smkMeta, entries) {
    if (smkMeta.providerId !== this.#provider.id) {
      throw new EnveilError('KEY_UNAVAILABLE',
        `store '${this.#name}' is wrapped by key provider '${smkMeta.providerId}', not '${this.#provider.id}'`);
    }
    const smk = await fromProvider(
      () => this.#provider.unwrapKey(smkMeta.wrapped, smkContext(this.#name, smkMeta.smkId)), 'unwrap the store key', 32);
    try {
      this.#ring = Keyring.load({ kek: smk, entries, store: this.#name, kekId: smkMeta.smkId });
    } catch (err) {
      throw new EnveilError('KEY_UNAVAILABLE', 'the key provider returned a key that does not open this store', { cause: err });
    } finally {
      wipe(smk);
    }
  }

  /** Adds keys for collections and blind-index fields declared since the last open. */
  async #ensureKeys() {
    await this.#changeKeyring(() => this.#addKeysAndSave({}));
  }

  /**
   * Writes the in-memory keyring, inside `tx`, after checking that the stored
   * one is not newer (another tab rotated keys or the store key): an instance
   * with a stale keyring must never overwrite keys it does not know.
   * @param {any} tx a transaction over META and KEYRING
   * @param {Keyring} ring
   * @param {string} [expectedKekId] the store key the stored entries must be under
   */
  async #saveKeyring(tx, ring, expectedKekId = ring.kekId) {
    const smk = await tx.objectStore(META).get('smk');
    const stored = /** @type {import('../keyring.js').KeyringEntry[]} */ (await tx.objectStore(KEYRING).getAll());
    const mine = new Set(ring.export().map((e) => e.id));
    if ((smk && smk.smkId !== expectedKekId) || stored.some((e) => !mine.has(e.id))) {
      this.#stale = true;
      throw new EnveilError('STORAGE_FAILED', `the keyring of store '${this.#name}' was changed by another instance: try again`);
    }
    for (const e of ring.export()) await tx.objectStore(KEYRING).put(e);
  }

  /**
   * Adds the keys the declarations need and saves them with the
   * declarations and `meta` entries in one transaction; undone in memory if
   * that fails.
   * @param {Record<string, unknown>} meta
   */
  async #addKeysAndSave(meta) {
    const ring = this.#unlocked();
    const { added } = this.#addMissingKeys();
    try {
      await this.#write([META, KEYRING], async (tx) => {
        await this.#saveKeyring(tx, ring);
        for (const [key, value] of Object.entries(meta)) await tx.objectStore(META).put(value, key);
        await tx.objectStore(META).put(this.#collections, 'collections');
      }, 'saving the keyring', 'strict');
      this.#announce();
    } catch (err) {
      for (const id of added) ring.remove(id);
      throw err;
    }
  }

  /** @returns {{ added: number[] }} */
  #addMissingKeys() {
    const ring = this.#unlocked();
    const have = new Set(ring.export().filter((e) => e.status === 'primary').map((e) => `${e.kind}:${e.scope}`));
    const added = [];
    if (!have.has(`index:${AUDIT_SCOPE}`)) added.push(ring.rotate('index', AUDIT_SCOPE));
    for (const [name, spec] of Object.entries(this.#collections)) {
      if (!have.has(`data:${name}`)) added.push(ring.rotate('data', name));
      for (const field of Object.keys(spec.blindIndex)) {
        if (!have.has(`index:${name}/${field}`)) added.push(ring.rotate('index', `${name}/${field}`));
      }
    }
    return { added };
  }

  /**
   * Runs a change of the keyring that must be persisted before any record
   * uses it: record writes wait until it has committed or been undone.
   * @param {() => Promise<void>} change
   */
  async #changeKeyring(change) {
    while (this.#keyringBusy) await this.#keyringBusy;
    let release = () => {};
    this.#keyringBusy = new Promise((resolve) => { release = resolve; });
    try {
      await change();
    } finally {
      this.#keyringBusy = null;
      release();
    }
  }

  /** @returns {Keyring} */
  #unlocked() {
    if (this.#closed || this.#closing) throw new EnveilError('STORAGE_FAILED', `store '${this.#name}' is closed`);
    if (!this.#ring) throw new EnveilError('LOCKED', `store '${this.#name}' is locked: call unlock()`);
    return this.#ring;
  }

  #touch() {
    if (!this.#autoLockMs) return;
    clearTimeout(this.#autoLockTimer);
    this.#autoLockTimer = setTimeout(() => this.lock(), this.#autoLockMs);
    /** @type {any} */ (this.#autoLockTimer).unref?.();
  }

  /** Waits for an in-flight keyring change, then returns the unlocked keyring. */
  async #ready() {
    while (this.#keyringBusy) await this.#keyringBusy;
    if (this.#stale && this.#ring) await this.#syncKeyring();
    const ring = this.#unlocked();
    this.#touch();
    return ring;
  }

  /**
   * Decrypts stored records; a key this instance has not seen yet (made by
   * another tab) triggers one reload of the keyring and a retry.
   * Records that do not authenticate are left out of multi-record results
   * and reported through the 'unreadable' event; get() throws instead.
   * @param {string} collection
   * @param {Record<string, any>[]} rows
   */
  async #openRows(collection, rows, skipUnreadable = true) {
    const openAll = () => {
      /** @type {Record<string, unknown>[]} */
      const out = [];
      for (const r of rows) {
        try {
          out.push(this.#open(this.#unlocked(), collection, r));
        } catch (err) {
          const code = err instanceof EnveilError ? err.code : '';
          if (!skipUnreadable || code !== 'AUTH_FAILED') throw err;
          // One record altered on disk must not hide the others.
          this.#emit('unreadable', { collection, id: r.id, code });
        }
      }
      return out;
    };
    try {
      return openAll();
    } catch (err) {
      if (!(err instanceof EnveilError && err.code === 'UNKNOWN_KEY')) throw err;
      await this.#syncKeyring();
      return openAll();
    }
  }

  /** Wipes every unwrapped key from WASM memory; calls then reject with LOCKED. */
  /**
   * Locks: every call rejects with LOCKED from now on. The keys are wiped
   * once the 'locked' audit entry is written (milliseconds); await the
   * result to know they are gone.
   * @returns {Promise<void>}
   */
  lock() {
    clearTimeout(this.#autoLockTimer);
    const ring = this.#ring;
    if (!ring) return Promise.resolve();
    this.#ring = null;
    this.#emit('locked', {});
    return this.#appendAudit(ring, 'locked', { kekId: ring.kekId })
      .then(() => {}, () => {})
      .finally(() => ring.destroy());
  }

  /** Asks the provider for the store key again. */
  async unlock() {
    if (this.#ring) return;
    const [smkMeta, entries] = await this.#read([META, KEYRING], async (tx) => [
      await tx.objectStore(META).get('smk'),
      await tx.objectStore(KEYRING).getAll(),
    ], 'reading the keyring');
    if (!smkMeta) throw new EnveilError('STORAGE_FAILED', `store '${this.#name}' has no keyring`);
    await this.#unlockWith(smkMeta, entries);
    this.#touch();
    await this.appendAudit('unlocked', { kekId: this.#unlocked().kekId });
    this.#emit('unlocked', {});
  }

  /** Whether keys are loaded. */
  get locked() {
    return this.#ring === null;
  }

  /** The database name of this store. */
  get name() {
    return this.#name;
  }

  /** The id of the key provider that wraps this store. */
  get providerId() {
    return this.#provider.id;
  }

  /**
   * Locks (the 'locked' audit entry is written first), then closes the
   * database connection. Calls reject from now on.
   * @returns {Promise<void>}
   */
  close() {
    const locking = this.lock();
    this.#closing = true;
    return locking.finally(() => {
      this.#closed = true;
      this.#channel?.close();
      this.#channel = null;
      this.#db?.close();
      this.#db = null;
    });
  }


  // -------------------------------------------------------------- records

  /** @param {unknown} collection */
  #spec(collection) {
    const spec = typeof collection === 'string' ? this.#collections[collection] : undefined;
    if (!spec) throw new EnveilError('INVALID_ARGUMENT', `unknown collection '${String(collection)}': declare it in collections`);
    return spec;
  }

  /** @param {unknown} id */
  static #idArg(id) {
    if ((typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id))) return id;
    throw new EnveilError('INVALID_ARGUMENT', 'id must be a non-empty string or a finite number');
  }

  /**
   * Encrypts the declared fields of `record` and computes its blind indexes.
   * @param {Keyring} ring
   * @param {string} collection
   * @param {string | number} id
   * @param {Record<string, unknown>} record
   */
  #seal(ring, collection, id, record) {
    const spec = this.#spec(collection);
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
      if (bi) stored.__bi[field] = [ring.blindIndex(collection, field, String(value), bi)];
    }
    return stored;
  }

  /**
   * @param {Keyring} ring
   * @param {string} collection
   * @param {Record<string, any>} stored
   */
  #open(ring, collection, stored) {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [field, value] of Object.entries(stored)) {
      if (field !== '__enc' && field !== '__bi') out[field] = value;
    }
    for (const [field, ct] of Object.entries(stored.__enc ?? {})) {
      out[field] = JSON.parse(textDecoder.decode(ring.decrypt(ct, fieldContext(collection, stored.id, field))));
    }
    return out;
  }

  /**
   * Stores `record` under `id`, its declared fields encrypted.
   * @param {string} collection
   * @param {string | number} id
   * @param {Record<string, unknown>} record
   */
  async put(collection, id, record) {
    EncryptedStore.#idArg(id);
    if (!record || typeof record !== 'object' || Array.isArray(record)) {
      throw new EnveilError('INVALID_ARGUMENT', 'record must be an object');
    }
    // A key rotation may start in the microtasks between #ready() and here:
    // seal only when none is being saved, with no await before the write, so
    // no record is ever written under a key that is not stored yet.
    await this.#ready();
    while (this.#keyringBusy) await this.#ready();
    const stored = this.#seal(this.#unlocked(), collection, id, /** @type {Record<string, unknown>} */ (record));
    await this.#write([recordStore(collection)], (tx) => tx.objectStore(recordStore(collection)).put(stored), `writing to '${collection}'`);
  }

  /**
   * Compare-and-set: stores `record` only if `predicate` accepts the plain
   * (unencrypted) fields of what is stored now (undefined when nothing is),
   * checked and written in one transaction. Resolves whether it wrote.
   * @param {string} collection
   * @param {string | number} id
   * @param {Record<string, unknown>} record
   * @param {(current: Record<string, unknown> | undefined) => boolean} predicate
   * @returns {Promise<boolean>}
   */
  async putIf(collection, id, record, predicate) {
    EncryptedStore.#idArg(id);
    if (typeof predicate !== 'function') throw new EnveilError('INVALID_ARGUMENT', 'predicate must be a function');
    await this.#ready();
    while (this.#keyringBusy) await this.#ready();
    const stored = this.#seal(this.#unlocked(), collection, id, record);
    return this.#write([recordStore(collection)], async (tx) => {
      const current = await tx.objectStore(recordStore(collection)).get(id);
      const plain = current && Object.fromEntries(Object.entries(current).filter(([k]) => k !== '__enc' && k !== '__bi'));
      if (!predicate(plain)) return false;
      await tx.objectStore(recordStore(collection)).put(stored);
      return true;
    }, `writing to '${collection}'`);
  }

  /**
   * The record with its fields decrypted, or undefined. AUTH_FAILED if its
   * stored ciphertext was altered.
   * @param {string} collection
   * @param {string | number} id
   */
  async get(collection, id) {
    const ring = await this.#ready();
    this.#spec(collection);
    EncryptedStore.#idArg(id);
    const stored = await this.#read([recordStore(collection)], (tx) => tx.objectStore(recordStore(collection)).get(id), `reading '${collection}'`);
    void ring;
    return stored === undefined ? undefined : (await this.#openRows(collection, [stored], false))[0];
  }

  /**
   * @param {string} collection
   * @param {string | number} id
   */
  async delete(collection, id) {
    await this.#ready();
    this.#spec(collection);
    EncryptedStore.#idArg(id);
    await this.#write([recordStore(collection)], (tx) => tx.objectStore(recordStore(collection)).delete(id), `deleting from '${collection}'`);
  }

  /**
   * Records whose `field` equals `value`. Encrypted fields are searched
   * through their blind index (under every index key still in use, so search
   * works during index-key rotation); truncation's false positives are
   * removed by decrypting.
   * @param {string} collection
   * @param {string} field
   * @param {unknown} value
   * @returns {Promise<Record<string, unknown>[]>}
   */
  async findBy(collection, field, value) {
    const ring = await this.#ready();
    const spec = this.#spec(collection);
    const storeName = recordStore(collection);
    if (spec.encrypted.includes(field)) {
      const bi = spec.blindIndex[field];
      if (!bi) {
        throw new EnveilError('INVALID_ARGUMENT', `field '${field}' is encrypted without a blind index: declare blindIndex.${field} to search it`);
      }
      const keys = this.#indexKeys(collection, field);
      const wanted = String(value);
      const candidates = await this.#read([storeName], async (tx) => {
        const index = tx.objectStore(storeName).index(blindIndexName(field));
        const found = new Map();
        for (const keyId of keys) {
          for (const r of await index.getAll(ring.blindIndex(collection, field, wanted, { ...bi, keyId }))) found.set(r.id, r);
        }
        return [...found.values()];
      }, `searching '${collection}'`);
      const exact = ring.blindIndex(collection, field, wanted, { normalize: bi.normalize, bits: 256 });
      return (await this.#openRows(collection, candidates))
        .filter((r) => r[field] !== undefined && ring.blindIndex(collection, field, String(r[field]), { normalize: bi.normalize, bits: 256 }) === exact);
    }
    if (spec.indexes.includes(field)) {
      const rows = await this.#read([storeName], (tx) => tx.objectStore(storeName).index(plainIndexName(field)).getAll(/** @type {IDBValidKey} */ (value)), `searching '${collection}'`);
      return this.#openRows(collection, rows);
    }
    return this.#scan(ring, collection, (r) => r[field] === value);
  }

  /**
   * Records where `field` exists (or not), or differs from a value.
   * @param {string} collection
   * @param {string} field
   * @param {{ exists?: boolean, ne?: unknown }} condition
   */
  async where(collection, field, condition) {
    const ring = await this.#ready();
    const spec = this.#spec(collection);
    if (!condition || typeof condition !== 'object' || (!('exists' in condition) && !('ne' in condition))) {
      throw new EnveilError('INVALID_ARGUMENT', 'condition must be { exists: boolean } or { ne: value }');
    }
    if ('exists' in condition) {
      const want = Boolean(condition.exists);
      return this.#scan(ring, collection, (r) => (r[field] !== undefined) === want);
    }
    const bi = spec.blindIndex[field];
    if (bi) {
      const exact = ring.blindIndex(collection, field, String(condition.ne), { normalize: bi.normalize, bits: 256 });
      return this.#scan(ring, collection,
        (r) => r[field] !== undefined && ring.blindIndex(collection, field, String(r[field]), { normalize: bi.normalize, bits: 256 }) !== exact);
    }
    return this.#scan(ring, collection, (r) => r[field] !== undefined && r[field] !== condition.ne);
  }

  /**
   * Records in id order, `limit` at a time, after the id `after`.
   * @param {string} collection
   * @param {{ limit?: number, after?: string | number }} [options]
   */
  async list(collection, options = {}) {
    const ring = await this.#ready();
    this.#spec(collection);
    const { limit = 100, after } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new EnveilError('INVALID_ARGUMENT', 'limit must be a positive integer');
    const storeName = recordStore(collection);
    const rows = await this.#read([storeName], (tx) => tx.objectStore(storeName).getAll(
      after === undefined ? undefined : IDBKeyRange.lowerBound(after, true), limit), `listing '${collection}'`);
    void ring;
    return this.#openRows(collection, rows);
  }

  /**
   * @param {Keyring} ring
   * @param {string} collection
   * @param {(record: Record<string, unknown>) => boolean} keep
   */
  async #scan(ring, collection, keep) {
    const storeName = recordStore(collection);
    const rows = await this.#read([storeName], (tx) => tx.objectStore(storeName).getAll(), `reading '${collection}'`);
    void ring;
    return (await this.#openRows(collection, rows)).filter(keep);
  }

  /** Index keys of a field still in use (primary first), newest first. @param {string} collection @param {string} field */
  #indexKeys(collection, field) {
    return this.#unlocked().export()
      .filter((e) => e.kind === 'index' && e.scope === `${collection}/${field}` && e.status !== 'retired')
      .sort((a, b) => (a.status === 'primary' ? -1 : b.status === 'primary' ? 1 : b.createdAt - a.createdAt))
      .map((e) => e.id);
  }

  // ---------------------------------------------------------- audit, events

  #listeners = new Listeners();

  /**
   * Subscribes to 'locked', 'unlocked', 'key-rotated' and 'audit' (every
   * appended entry). Returns the unsubscribe function.
   * @param {string} event
   * @param {(payload: any) => void} fn
   */
  on(event, fn) {
    return this.#listeners.on(event, fn);
  }

  /** @param {string} event @param {any} payload */
  #emit(event, payload) {
    this.#listeners.emit(event, payload);
  }

  /**
   * Appends an entry to the audit log: `event`, the time, `details` (never
   * secrets: callers pass key ids, expiry times, counts) and an HMAC-SHA256
   * over the previous entry's MAC and this entry, under the keyring's audit
   * key. One transaction, so entries from several instances chain in order.
   * @param {string} event
   * @param {Record<string, unknown>} details
   * @returns {Promise<AuditEntry>}
   */
  async appendAudit(event, details) {
    return this.#appendAudit(await this.#ready(), event, details);
  }

  /**
   * @param {Keyring} ring
   * @param {string} event
   * @param {Record<string, unknown>} details
   * @returns {Promise<AuditEntry>}
   */
  async #appendAudit(ring, event, details) {
    if (typeof event !== 'string' || !event) throw new EnveilError('INVALID_ARGUMENT', 'event must be a non-empty string');
    const entry = await this.#write([AUDIT, META], async (tx) => {
      const head = (await tx.objectStore(META).get('auditHead')) ?? { seq: 0, mac: '' };
      /** @type {AuditEntry} */
      const e = { seq: head.seq + 1, at: Date.now(), event, details: { ...details }, mac: '' };
      e.mac = ring.blindIndex('__audit', 'chain', auditMessage(head.mac, e), { bits: 256 });
      await tx.objectStore(AUDIT).add(e);
      await tx.objectStore(META).put({ seq: e.seq, mac: e.mac }, 'auditHead');
      return e;
    }, 'appending to the audit log');
    this.#emit('audit', entry);
    return entry;
  }

  /**
   * The newest `limit` audit entries at or after `since`, oldest first.
   * @param {{ since?: number, limit?: number }} [options] since: a time in ms
   * @returns {Promise<AuditEntry[]>}
   */
  async auditLog(options = {}) {
    await this.#ready();
    const { since = 0, limit = 1000 } = options;
    const all = /** @type {AuditEntry[]} */ (await this.#read([AUDIT], (tx) => tx.objectStore(AUDIT).getAll(), 'reading the audit log'));
    // The newest `limit` entries (a log only grows), oldest first.
    return all.filter((e) => e.at >= since).slice(-limit);
  }

  /**
   * Recomputes the chain: an edited, deleted, inserted or reordered entry, or
   * entries cut from the end, make it fail at the first bad entry.
   * @returns {Promise<{ ok: true, entries: number } | { ok: false, entries: number, seq: number, reason: string }>}
   */
  async verifyAuditLog() {
    const ring = await this.#ready();
    const [entries, head] = await this.#read([AUDIT, META], async (tx) => [
      /** @type {AuditEntry[]} */ (await tx.objectStore(AUDIT).getAll()),
      await tx.objectStore(META).get('auditHead'),
    ], 'reading the audit log');
    let prev = '';
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const fail = (/** @type {string} */ reason) => ({ ok: /** @type {const} */ (false), entries: entries.length, seq: e.seq, reason });
      if (e.seq !== i + 1) return fail(`entry ${i + 1} is missing`);
      const keyId = Number(String(e.mac).split(':')[0]);
      let expected;
      try {
        expected = ring.blindIndex('__audit', 'chain', auditMessage(prev, e), { bits: 256, keyId });
      } catch {
        return fail('entry names no audit key of this store');
      }
      if (expected !== e.mac) return fail('entry was altered or moved');
      prev = e.mac;
    }
    const last = entries.length;
    if ((head?.seq ?? 0) !== last || (head?.mac ?? '') !== prev) {
      return { ok: false, entries: last, seq: last + 1, reason: 'entries were removed from the end' };
    }
    return { ok: true, entries: last };
  }

  /**
   * Declares (or re-declares) a collection on an open store, e.g. one a
   * component keeps for itself. Upgrades the database when needed.
   * @param {string} name
   * @param {Partial<CollectionSpec>} spec
   */
  async declare(name, spec) {
    await this.#ready();
    const [normalized] = Object.values(normalizeCollections({ [name]: spec }, true));
    const saved = { ...this.#collections };
    if (JSON.stringify(saved[name]) === JSON.stringify(normalized)) return;
    this.#collections = { ...this.#collections, [name]: normalized };
    this.#db?.close();
    this.#db = null;
    await this.#connect();
    try {
      await this.#migrateDeclarations(saved);
    } catch (err) {
      if (!this.#stale) {
        this.#collections = saved;
        throw err;
      }
      // Another instance changed the keyring meanwhile: catch up, once.
      await this.#syncKeyring();
      await this.#migrateDeclarations(saved);
    }
  }

  // ------------------------------------------------------------- rotation

  /**
   * Re-wraps every keyring entry under a new store key wrapped by
   * `newProvider`. No record is touched. Nothing changes if the provider
   * fails.
   * @param {KeyProvider} newProvider
   */
  async rotateMasterKey(newProvider) {
    providerArg(newProvider, 'newProvider');
    await this.#ready();
    await withRotationLock(this.#name, () => this.#rewrapMaster(newProvider, null));
    await this.#keyRotated({ kind: 'master', providerId: newProvider.id });
  }

  /** Records and announces a finished key rotation. @param {Record<string, unknown>} details */
  async #keyRotated(details) {
    if (this.#ring) await this.#appendAudit(this.#ring, 'key-rotated', details);
    this.#emit('key-rotated', details);
  }

  /**
   * @param {KeyProvider} newProvider
   * @param {Uint8Array | null} knownRecoveryKey
   */
  async #rewrapMaster(newProvider, knownRecoveryKey) {
    const ring = this.#unlocked();
    const newSmk = randomBytes(32);
    const newSmkId = `smk-${toHex(randomBytes(8))}`;
    /** @type {Uint8Array | null} */
    let recoveryKey = null;
    try {
      const wrapped = await fromProvider(() => newProvider.wrapKey(newSmk.slice(), smkContext(this.#name, newSmkId)), 'wrap the new store key');
      const recovery = await this.#read([META], (tx) => tx.objectStore(META).get('recovery'), 'reading the recovery envelope');
      if (knownRecoveryKey) recoveryKey = knownRecoveryKey.slice();
      else if (recovery) recoveryKey = ring.unwrapSecret(recovery.byStore, RECOVERY_SECRET);
      await this.#changeKeyring(async () => {
        const oldKekId = ring.kekId;
        ring.rewrap({ kek: newSmk, kekId: newSmkId });
        try {
          const newRecovery = recoveryKey && {
            smkByRecovery: wrapKey(recoveryKey, newSmk, recoveryContext(this.#name, newSmkId)),
            byStore: ring.wrapSecret(recoveryKey, RECOVERY_SECRET),
          };
          await this.#write([META, KEYRING], async (tx) => {
            await this.#saveKeyring(tx, ring, oldKekId);
            await tx.objectStore(META).put({ smkId: newSmkId, providerId: newProvider.id, wrapped }, 'smk');
            if (newRecovery) await tx.objectStore(META).put(newRecovery, 'recovery');
          }, 're-wrapping the keyring', 'strict');
          this.#announce();
        } catch (err) {
          // The keys in memory are unchanged but now wrapped differently from
          // what is stored: lock, so the next unlock reads the stored state.
          this.lock();
          throw err;
        }
      });
      this.#provider = newProvider;
    } finally {
      wipe(newSmk);
      wipe(recoveryKey);
    }
  }

  /**
   * A random 256-bit recovery key, shown once: it also wraps the store key,
   * so EncryptedStore.recover() can unlock the store if the platform key is
   * lost. Asks the provider once more to unwrap the store key. Replaces any
   * earlier recovery key.
   * @returns {Promise<string>} e.g. "7K2Q-…" (53 symbols in groups of four)
   */
  async createRecoveryKey() {
    const ring = await this.#ready();
    // Under the rotation lock: a master-key rotation cannot slip between
    // reading the store key and writing the envelope bound to it.
    return withRotationLock(this.#name, async () => {
      const smkMeta = await this.#read([META], (tx) => tx.objectStore(META).get('smk'), 'reading the keyring');
      const smk = await fromProvider(() => this.#provider.unwrapKey(smkMeta.wrapped, smkContext(this.#name, smkMeta.smkId)), 'unwrap the store key', 32);
      const recoveryKey = randomBytes(32);
      try {
        const envelope = {
          smkByRecovery: wrapKey(recoveryKey, smk, recoveryContext(this.#name, smkMeta.smkId)),
          byStore: ring.wrapSecret(recoveryKey, RECOVERY_SECRET),
        };
        await this.#write([META], async (tx) => {
          const current = await tx.objectStore(META).get('smk');
          if (current?.smkId !== smkMeta.smkId || ring.kekId !== smkMeta.smkId) {
            this.#stale = true;
            throw new EnveilError('STORAGE_FAILED', 'the store key changed while the recovery key was made: try again');
          }
          await tx.objectStore(META).put(envelope, 'recovery');
        }, 'storing the recovery envelope', 'strict');
        await this.#appendAudit(ring, 'recovery-key-created', { kekId: smkMeta.smkId });
        return formatRecoveryKey(recoveryKey);
      } finally {
        wipe(smk);
        wipe(recoveryKey);
      }
    });
  }


  /**
   * Data-key rotation (DESIGN.md §5): a new data key becomes primary, every
   * record is re-encrypted in batches (one transaction each, progress saved
   * with it), and the old keys are retired once no record uses them. A crash
   * or abort at any point leaves every record readable; calling again, or the
   * next open(), resumes.
   * @param {{ collection?: string, batchSize?: number, signal?: AbortSignal,
   *   onProgress?: (p: { kind: 'data' | 'index', collection: string, field?: string, processed: number, total: number }) => void }} [options]
   */
  async rotateDataKeys(options = {}) {
    await this.#rotate('data', options);
  }

  /**
   * Index-key rotation: like rotateDataKeys for the blind indexes of
   * `field` (or of every blind-indexed field). Search keeps answering
   * correctly throughout: queries use every index key still in use.
   * @param {{ collection?: string, field?: string, batchSize?: number, signal?: AbortSignal,
   *   onProgress?: (p: { kind: 'data' | 'index', collection: string, field?: string, processed: number, total: number }) => void }} [options]
   */
  async rotateIndexKeys(options = {}) {
    await this.#rotate('index', options);
  }

  /**
   * @param {'data' | 'index'} kind
   * @param {{ collection?: string, field?: string, batchSize?: number, signal?: AbortSignal, onProgress?: Function }} options
   */
  async #rotate(kind, options) {
    await this.#ready();
    const { collection, field, batchSize = 100, signal, onProgress } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new EnveilError('INVALID_ARGUMENT', 'batchSize must be a positive integer');
    const collections = collection === undefined ? Object.keys(this.#collections) : [collection];
    collections.forEach((c) => this.#spec(c));
    await withRotationLock(this.#name, async () => {
      await this.#syncKeyring();
      // An interrupted rotation and queued migrations finish first.
      await this.#drainRotations({ batchSize, signal, onProgress });
      for (const c of collections) {
        const fields = kind === 'data' ? [undefined] : field !== undefined ? [field] : Object.keys(this.#spec(c).blindIndex);
        for (const f of fields) {
          if (f !== undefined && !this.#spec(c).blindIndex[f]) {
            throw new EnveilError('INVALID_ARGUMENT', `field '${f}' of '${c}' has no blind index`);
          }
          signal?.throwIfAborted();
          const state = await this.#startRotation(kind, c, f);
          await this.#runRotation(state, { batchSize, signal, onProgress });
        }
      }
    });
  }

  /** @returns {Promise<RotationState | undefined>} */
  async #pendingRotation() {
    return this.#read([META], (tx) => tx.objectStore(META).get('rotation'), 'reading the rotation state');
  }

  /** Resumes a rotation left by a crash, unless another tab is running it. */
  async #resumeRotation() {
    const [pending, queue] = await this.#read([META], async (tx) => [
      await tx.objectStore(META).get('rotation'),
      await tx.objectStore(META).get('migrations'),
    ], 'reading the rotation state');
    if (!pending && !queue?.length) return;
    try {
      await withRotationLock(this.#name, () => this.#drainRotations({ batchSize: 100 }));
    } catch (err) {
      if (!(err instanceof EnveilError && err.code === 'ROTATION_IN_PROGRESS')) throw err;
    }
  }

  /**
   * Finishes the interrupted rotation, then the declaration migrations still
   * queued, one by one (each taken off the queue in the transaction that
   * starts it). Call holding the rotation lock.
   * @param {{ batchSize: number, signal?: AbortSignal, onProgress?: Function }} options
   */
  async #drainRotations(options) {
    for (;;) {
      const [pending, queue] = await this.#read([META], async (tx) => [
        /** @type {RotationState | undefined} */ (await tx.objectStore(META).get('rotation')),
        /** @type {Array<{ kind: 'data' | 'index', collection: string, field?: string }> | undefined} */ (await tx.objectStore(META).get('migrations')),
      ], 'reading the rotation state');
      if (pending) {
        await this.#runRotation(pending, options);
        continue;
      }
      if (!queue?.length) return;
      const [next, ...rest] = queue;
      options.signal?.throwIfAborted();
      await this.#runRotation(await this.#startRotation(next.kind, next.collection, next.field, { migrations: rest }), options);
    }
  }

  /**
   * Adds the new primary key and saves the rotation state, in one
   * transaction: before it commits, nothing has happened.
   * @param {'data' | 'index'} kind
   * @param {string} collection
   * @param {string | undefined} field
   * @param {Record<string, unknown>} [meta] more META entries to write with it
   * @returns {Promise<RotationState>}
   */
  async #startRotation(kind, collection, field, meta = {}) {
    const ring = this.#unlocked();
    const scope = kind === 'data' ? collection : `${collection}/${field}`;
    /** @type {RotationState | undefined} */
    let state;
    await this.#changeKeyring(async () => {
      const old = ring.export().filter((e) => e.kind === kind && e.scope === scope && e.status !== 'retired');
      const oldPrimary = old.find((e) => e.status === 'primary');
      const newKeyId = ring.rotate(kind, scope);
      const s = /** @type {RotationState} */ ({
        kind, collection, ...(field === undefined ? {} : { field }), newKeyId, oldKeyIds: old.map((e) => e.id), after: null, processed: 0,
      });
      try {
        await this.#write([META, KEYRING], async (tx) => {
          await this.#saveKeyring(tx, ring);
          await tx.objectStore(META).put(s, 'rotation');
          for (const [key, value] of Object.entries(meta)) await tx.objectStore(META).put(value, key);
        }, 'starting a key rotation', 'strict');
        this.#announce();
      } catch (err) {
        if (oldPrimary) ring.promote(oldPrimary.id);
        ring.remove(newKeyId);
        throw err;
      }
      state = s;
    });
    return /** @type {RotationState} */ (state);
  }

  /**
   * Re-encrypts (or re-indexes) records after state.after in batches, then
   * retires the old keys in the same transaction as a last check that no
   * record still uses them.
   * @param {RotationState} state
   * @param {{ batchSize: number, signal?: AbortSignal, onProgress?: Function }} options
   */
  async #runRotation(state, { batchSize, signal, onProgress }) {
    const storeName = recordStore(state.collection);
    const old = new Set(state.oldKeyIds);
    const total = await this.#read([storeName], (tx) => tx.objectStore(storeName).count(), 'counting records');
    for (;;) {
      signal?.throwIfAborted();
      const ring = this.#unlocked();
      this.#touch(); // a running rotation is activity: auto-lock waits for it
      const done = await this.#write([storeName, META], async (tx) => {
        const store = tx.objectStore(storeName);
        const batch = await store.getAll(state.after === null ? undefined : IDBKeyRange.lowerBound(state.after, true), batchSize);
        const skipped = [...(state.skipped ?? [])];
        for (const record of batch) {
          const updated = this.#migrateOrSkip(ring, state, old, record, skipped);
          if (updated) await store.put(updated);
        }
        if (batch.length === 0) return true;
        const next = { ...state, after: batch[batch.length - 1].id, processed: state.processed + batch.length, skipped };
        await tx.objectStore(META).put(next, 'rotation');
        Object.assign(state, next);
        return false;
      }, 'rotating keys');
      if (done) break;
      onProgress?.({ kind: state.kind, collection: state.collection, ...(state.field ? { field: state.field } : {}), processed: state.processed, total });
    }
    // Last pass and retirement in one transaction: a record written with an
    // old key by a write that raced the batches is migrated here.
    await this.#changeKeyring(async () => {
      const ring = this.#unlocked();
      await this.#write([storeName, META, KEYRING], async (tx) => {
        const store = tx.objectStore(storeName);
        const skipped = [...(state.skipped ?? [])];
        for (const record of await store.getAll()) {
          const updated = this.#migrateOrSkip(ring, state, old, record, skipped);
          if (updated) await store.put(updated);
        }
        state.skipped = [...new Set(skipped)];
        // A record that could not be read keeps its key: nothing is retired
        // while one may still need it.
        if (state.skipped.length === 0) for (const id of state.oldKeyIds) {
          if (id !== state.newKeyId && ring.export().some((e) => e.id === id && e.status !== 'primary')) ring.setStatus(id, 'retired');
        }
        await this.#saveKeyring(tx, ring);
        await tx.objectStore(META).delete('rotation');
      }, 'finishing a key rotation', 'strict');
      this.#announce();
    });
    await this.#keyRotated({
      kind: state.kind, collection: state.collection, ...(state.field ? { field: state.field } : {}),
      keyId: state.newKeyId, retired: state.skipped?.length ? [] : state.oldKeyIds,
      ...(state.skipped?.length ? { unreadable: state.skipped.length } : {}),
    });
  }

  /**
   * #migrate, but a record that does not authenticate (tampered on disk) is
   * left as it is and its id noted, so one bad record cannot stall a
   * rotation or lock the store.
   * @param {Keyring} ring
   * @param {RotationState} state
   * @param {Set<number>} old
   * @param {Record<string, any>} record
   * @param {Array<string | number>} skipped
   */
  #migrateOrSkip(ring, state, old, record, skipped) {
    try {
      return this.#migrate(ring, state, old, record);
    } catch (err) {
      if (!(err instanceof EnveilError && (err.code === 'AUTH_FAILED' || err.code === 'UNKNOWN_KEY'))) throw err;
      skipped.push(record.id);
      return null;
    }
  }

  /**
   * The record moved to the new key, or null when it needs nothing.
   * @param {Keyring} ring
   * @param {RotationState} state
   * @param {Set<number>} old
   * @param {Record<string, any>} record
   */
  #migrate(ring, state, old, record) {
    const { collection } = state;
    if (state.kind === 'data') {
      const stale = Object.entries(record.__enc ?? {}).filter(([, ct]) => recordKeyId(ct) !== state.newKeyId && old.has(recordKeyId(ct)));
      // Fields stored in the clear before they were declared encrypted.
      const spec = this.#spec(collection);
      const plainNowEncrypted = spec.encrypted.filter((f) => record[f] !== undefined);
      if (stale.length === 0 && plainNowEncrypted.length === 0) return null;
      if (plainNowEncrypted.length > 0) {
        const { id, __enc, __bi, ...fields } = record;
        const resealed = this.#seal(ring, collection, id, Object.fromEntries(plainNowEncrypted.map((f) => [f, fields[f]])));
        const rest = Object.fromEntries(Object.entries(fields).filter(([f]) => !plainNowEncrypted.includes(f)));
        record = { ...rest, id, __enc: { ...__enc, ...resealed.__enc }, __bi: { ...__bi, ...resealed.__bi } };
      }
      const enc = { ...record.__enc };
      for (const [field, ct] of stale) {
        const context = fieldContext(collection, record.id, field);
        const plain = ring.decrypt(ct, context);
        try {
          enc[field] = ring.encrypt(plain, context, { scope: collection });
        } finally {
          wipe(plain);
        }
      }
      return { ...record, __enc: enc };
    }
    const field = /** @type {string} */ (state.field);
    if (record.__enc?.[field] === undefined) return null;
    // Records stored before the field had a blind index have none yet.
    const current = record.__bi?.[field] ?? [];
    if (current.length > 0 && current.every((/** @type {string} */ v) => v.startsWith(`${state.newKeyId}:`))) return null;
    const value = JSON.parse(textDecoder.decode(ring.decrypt(record.__enc[field], fieldContext(collection, record.id, field))));
    const spec = this.#spec(collection).blindIndex[field];
    return { ...record, __bi: { ...record.__bi, [field]: [ring.blindIndex(collection, field, String(value), spec)] } };
  }

  /** The key entries (wrapped) and the rotation in progress, for display and tests. */
  async keyStatus() {
    const ring = await this.#ready();
    return { keys: ring.export().map(({ wrapped, ...rest }) => rest), rotation: (await this.#pendingRotation()) ?? null };
  }
}

