/**
 * The EncryptedStore that open() and recover() return: the class of
 * encrypted-store.js extended with every method of an open store. It loads,
 * with the modules it uses, when EncryptedStore.open() or recover() first
 * runs (js/internal/open-code.js), so that importing enveil stays cheap.
 *
 * This class is the public surface only; each job is a module of its own:
 * session.js (shared state), database.js (IndexedDB), declarations.js,
 * record-codec.js, query.js, keyring-sync.js, manifest.js, unlock.js,
 * rotation.js, recovery.js, audit-log.js.
 * @module
 */
import { EnveilError } from '../errors.js';
import { init } from '../internal/wasm.js';
import { wipe } from '../internal/encoding.js';
import { META, recordStore } from './database.js';
import { MANIFEST_SCOPE, normalizeCollections, sameDeclaration } from './declarations.js';
import { openSession } from './session.js';
import { syncKeyring } from './keyring-sync.js';
import { encodeRecord, idArg, openRecord, recordArg, sealEncoded, sealedNames, unreadableRecord } from './record-codec.js';
import { findBy, list, openRows, where } from './query.js';
import { providerArg, unlock, unlockOrCreate } from './unlock.js';
import { migrateDeclarations, pendingRotation, rotate } from './rotation.js';
import { createRecoveryKey, recoverWith, rotateMasterKey } from './recovery.js';
import { parseRecoveryKey } from './recovery-key.js';
import { appendAuditEntry, detailsArg, eventArg, readAuditLog, verifyAuditChain } from './audit-log.js';
import { EncryptedStore } from './encrypted-store.js';

/** @typedef {import('../providers/definitions.js').KeyProvider} KeyProvider */
/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {import('./declarations.js').CollectionSpec} CollectionSpec */
/** @typedef {import('./audit-log.js').AuditEntry} AuditEntry */
/** @typedef {import('./rotation.js').RotationState} RotationState */
/**
 * @typedef {{ collection?: string, batchSize?: number, signal?: AbortSignal,
 *   onProgress?: (p: { kind: 'data' | 'index', collection: string, field?: string, processed: number, total: number }) => void | Promise<void> }} RotationOptions
 */

/** A write found the manifest changed since its record was sealed. */
const STALE = Symbol('stale');

/** Thrown inside a write's transaction to abort it: the manifest moved on. */
class StaleManifest extends EnveilError {
  constructor() {
    super('STORAGE_FAILED', 'the manifest changed while the record was written');
  }
}

/**
 * The plain fields of an opened record (what putIf's predicate sees).
 * @param {Record<string, unknown>} opened
 * @param {Record<string, any>} stored
 */
function plainOf(opened, stored) {
  const sealed = new Set(sealedNames(stored));
  return Object.fromEntries(Object.entries(opened).filter(([field]) => !sealed.has(field)));
}

/** An open store: every EncryptedStore that open() and recover() return is one. */
export class OpenedStore extends EncryptedStore {
  /** @type {StoreSession} */
  #session;

  /** @param {StoreSession} session */
  constructor(session) {
    super();
    this.#session = session;
  }

  /**
   * EncryptedStore.open() (documented there), once this code is loaded.
   * @param {{ name: string, provider: KeyProvider, collections: Record<string, Partial<CollectionSpec>>,
   *   indexedDB?: IDBFactory, autoLockMs?: number, onBlocked?: () => void }} options
   * @returns {Promise<OpenedStore>}
   */
  static async open(options) {
    const session = await openSession(options, providerArg(options?.provider));
    try {
      await unlockOrCreate(session);
    } catch (err) {
      session.close();
      throw err;
    }
    session.opened();
    return new OpenedStore(session);
  }

  /**
   * EncryptedStore.recover() (documented there), once this code is loaded.
   * @param {{ name: string, recoveryKey: string, newProvider: KeyProvider,
   *   collections?: Record<string, Partial<CollectionSpec>>, indexedDB?: IDBFactory, autoLockMs?: number,
   *   onBlocked?: () => void }} options
   * @returns {Promise<OpenedStore>}
   */
  static async recover(options) {
    const newProvider = providerArg(options?.newProvider, 'newProvider');
    await init();
    const recoveryKey = parseRecoveryKey(options?.recoveryKey);
    let session;
    try {
      session = await openSession({ ...options, collections: options?.collections ?? null }, newProvider);
      try {
        await recoverWith(session, recoveryKey);
      } catch (err) {
        session.close();
        throw err;
      }
    } finally {
      wipe(recoveryKey);
    }
    session.touch();
    session.opened();
    return new OpenedStore(session);
  }

  /**
   * Stores `record` under `id`, its declared fields encrypted and the whole
   * record authenticated.
   * @param {string} collection
   * @param {string | number} id
   * @param {Record<string, unknown>} record
   */
  async put(collection, id, record) {
    const s = this.#session;
    const spec = s.spec(collection);
    idArg(id);
    recordArg(record, id);
    await this.#write(collection, id, record, encodeRecord(spec, record), (records, stored) => records.put(stored));
  }

  /**
   * Compare-and-set: stores `record` only if `predicate` accepts the plain
   * (unencrypted) fields of what is stored now (undefined when nothing is),
   * checked and written in one transaction. What is stored now must
   * authenticate (AUTH_FAILED otherwise, nothing written). Resolves whether
   * it wrote.
   * @param {string} collection
   * @param {string | number} id
   * @param {Record<string, unknown>} record
   * @param {(current: Record<string, unknown> | undefined) => boolean} predicate
   * @returns {Promise<boolean>}
   */
  async putIf(collection, id, record, predicate) {
    const s = this.#session;
    const spec = s.spec(collection);
    idArg(id);
    recordArg(record, id);
    if (typeof predicate !== 'function') throw new EnveilError('INVALID_ARGUMENT', 'predicate must be a function');
    return this.#write(collection, id, record, encodeRecord(spec, record), async (records, stored, ring) => {
      const current = await records.get(id);
      if (!predicate(current === undefined ? undefined : plainOf(openRecord(ring, collection, current), current))) return false;
      await records.put(stored);
      return true;
    });
  }

  /**
   * Seals an encoded record once no keyring change is being saved (encoded
   * again if a declare() changed the collection while it waited), then runs
   * `write` in a transaction that first checks the manifest is still the one
   * the record was sealed under. If another instance changed it (a key
   * rotation this one missed), the manifest is reloaded and the record
   * sealed again: no record is written under a retired key.
   * @template T
   * @param {string} collection
   * @param {string | number} id
   * @param {Record<string, unknown>} record
   * @param {import('./record-codec.js').EncodedRecord} encoded `record` as encoded before the wait
   * @param {(records: ReturnType<import('./database.js').StoreTx['records']>, stored: Record<string, unknown>,
   *   ring: import('../keyring.js').Keyring) => Promise<T>} write
   * @returns {Promise<T>}
   */
  async #write(collection, id, record, encoded, write) {
    const s = this.#session;
    for (let attempt = 0; ; attempt++) {
      const { stored, version, ring } = await s.whenKeyringSaved((ring) => {
        const spec = s.spec(collection);
        if (spec !== encoded.spec) encoded = encodeRecord(spec, record);
        return { stored: sealEncoded(ring, collection, id, encoded), version: s.currentManifest().version, ring };
      });
      let result;
      try {
        result = await s.db.write([recordStore(collection), META], async (tx) => {
          // Sent together, not one after the other (waiting for the version
          // first cost a put 0.2-0.45 ms in Chromium); a stale version
          // aborts the transaction, which undoes the write.
          // Read first (the write may abort the transaction), and the write
          // wrapped so that one throwing at once still leaves the read handled.
          const reading = tx.manifest();
          const writing = (async () => write(tx.records(collection), stored, ring))();
          const [manifest, value] = await Promise.all([reading, writing]);
          if (manifest?.version !== version) throw new StaleManifest();
          return { value };
        }, `writing to '${collection}'`);
      } catch (err) {
        if (err instanceof StaleManifest) {
          result = STALE;
        } else {
          // putIf's stored record names a key this instance has not loaded:
          // reload once; a key the store does not have means it was forged.
          if (!(err instanceof EnveilError && err.code === 'UNKNOWN_KEY')) throw err;
          if (attempt > 0) throw unreadableRecord();
          result = STALE;
        }
      }
      if (result !== STALE) return result.value;
      if (attempt >= 5) throw new EnveilError('STORAGE_FAILED', `store '${s.name}' kept changing while writing: try again`);
      await syncKeyring(s);
    }
  }

  /**
   * The record with its fields decrypted, or undefined. AUTH_FAILED if its
   * stored ciphertext was altered.
   * @param {string} collection
   * @param {string | number} id
   */
  async get(collection, id) {
    const s = this.#session;
    s.spec(collection);
    idArg(id);
    await s.ready();
    const stored = await s.db.read([recordStore(collection)], (tx) => tx.records(collection).get(id), `reading '${collection}'`);
    return stored === undefined ? undefined : (await openRows(s, collection, [stored], false))[0];
  }

  /**
   * @param {string} collection
   * @param {string | number} id
   */
  async delete(collection, id) {
    const s = this.#session;
    s.spec(collection);
    idArg(id);
    await s.ready();
    await s.db.write([recordStore(collection)], (tx) => tx.records(collection).delete(id), `deleting from '${collection}'`);
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
  findBy(collection, field, value) {
    return findBy(this.#session, collection, field, value);
  }

  /**
   * Records where `field` exists (or not), or differs from a value.
   * @param {string} collection
   * @param {string} field
   * @param {{ exists?: boolean, ne?: unknown }} condition
   */
  where(collection, field, condition) {
    return where(this.#session, collection, field, condition);
  }

  /**
   * Records in id order, `limit` at a time, after the id `after`.
   * @param {string} collection
   * @param {{ limit?: number, after?: string | number }} [options]
   */
  list(collection, options = {}) {
    return list(this.#session, collection, options);
  }

  /**
   * Declares (or re-declares) a collection on an open store, e.g. one a
   * component keeps for itself. Upgrades the database when needed.
   * @param {string} name
   * @param {Partial<CollectionSpec>} spec
   */
  async declare(name, spec) {
    const s = this.#session;
    const [normalized] = Object.values(normalizeCollections({ [name]: spec }, true));
    await s.ready();
    const saved = { ...s.collections };
    if (sameDeclaration(saved[name], normalized)) return;
    s.collections = { ...s.collections, [name]: normalized };
    await s.db.connect();
    try {
      await migrateDeclarations(s, saved);
    } catch (err) {
      if (!s.stale) {
        s.collections = saved;
        throw err;
      }
      // Another instance changed the keyring meanwhile: catch up, once.
      await syncKeyring(s);
      await migrateDeclarations(s, saved);
    }
  }

  /**
   * Subscribes to 'locked', 'unlocked', 'key-rotated', 'audit' (every
   * appended entry), 'unreadable' (a record left out of a result because it
   * does not authenticate), 'rotation-error' (a rotation resumed on open
   * failed; it stays saved), 'blocked' (an upgrade waits for another
   * connection to close), 'versionchange' (another connection upgrades: this
   * one closed) and 'terminated' (the browser closed the connection); after
   * the last two the next call reopens. Returns the unsubscribe function.
   * @param {string} event
   * @param {(payload: any) => void} fn
   */
  on(event, fn) {
    return this.#session.on(event, fn);
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
    eventArg(event);
    detailsArg(details);
    return appendAuditEntry(this.#session, await this.#session.ready(), event, details);
  }

  /**
   * The newest `limit` audit entries at or after `since`, oldest first.
   * @param {{ since?: number, limit?: number }} [options] since: a time in ms
   * @returns {Promise<AuditEntry[]>}
   */
  async auditLog(options = {}) {
    return readAuditLog(this.#session, await this.#session.ready(), options);
  }

  /**
   * Recomputes the chain: an edited, deleted, inserted or reordered entry, or
   * entries cut from the end, make it fail at the first bad entry.
   * @returns {Promise<{ ok: true, entries: number } | { ok: false, entries: number, seq: number, reason: string }>}
   */
  async verifyAuditLog() {
    return verifyAuditChain(this.#session, await this.#session.ready());
  }

  /**
   * Re-wraps every keyring entry under a new store key wrapped by
   * `newProvider`. No record is touched. Nothing changes if the provider
   * fails.
   * @param {KeyProvider} newProvider
   */
  async rotateMasterKey(newProvider) {
    providerArg(newProvider, 'newProvider');
    await rotateMasterKey(this.#session, newProvider);
  }

  /**
   * A random 256-bit recovery key, shown once: it also wraps the store key,
   * so EncryptedStore.recover() can unlock the store if the platform key is
   * lost. Replaces any earlier recovery key, and revokes it: a new store key
   * (the provider wraps it: one provider call) and new primary data and
   * index keys, so the earlier recovery key, even with an older backup,
   * opens nothing written from now on. Old records stay readable.
   * @returns {Promise<string>} e.g. "7K2Q-…" (53 symbols in groups of four)
   */
  createRecoveryKey() {
    return createRecoveryKey(this.#session);
  }

  /**
   * Data-key rotation (DESIGN.md §5): a new data key becomes primary, every
   * record is re-encrypted in batches (one transaction each, progress saved
   * with it), and the old keys are retired once no record uses them. A crash
   * or abort at any point leaves every record readable; calling again, or the
   * next open(), resumes.
   * @param {RotationOptions} [options]
   */
  async rotateDataKeys(options = {}) {
    await rotate(this.#session, 'data', options);
  }

  /**
   * Index-key rotation: like rotateDataKeys for the blind indexes of
   * `field` (or of every blind-indexed field). Search keeps answering
   * correctly throughout: queries use every index key still in use.
   * @param {RotationOptions & { field?: string }} [options]
   */
  async rotateIndexKeys(options = {}) {
    await rotate(this.#session, 'index', options);
  }

  /** The key entries (wrapped) and the rotation in progress, for display and tests. */
  async keyStatus() {
    await this.#session.ready();
    await syncKeyring(this.#session);
    const ring = this.#session.unlocked();
    // The manifest key is the store's own (its entry is outside the manifest it seals).
    const keys = ring.export().filter((e) => e.scope !== MANIFEST_SCOPE).map(({ wrapped, ...rest }) => rest);
    return { keys, rotation: (await pendingRotation(this.#session)) ?? null };
  }

  /**
   * Locks: every call rejects with LOCKED from now on. The keys are wiped
   * once the 'locked' audit entry is written (milliseconds); await the
   * result to know they are gone.
   * @returns {Promise<void>}
   */
  lock() {
    return this.#session.lock();
  }

  /** Asks the provider for the store key again. */
  unlock() {
    return unlock(this.#session);
  }

  /** Whether keys are loaded. */
  get locked() {
    return this.#session.ring === null;
  }

  /** The database name of this store. */
  get name() {
    return this.#session.name;
  }

  /** The id of the key provider that wraps this store. */
  get providerId() {
    return this.#session.provider.id;
  }

  /**
   * Locks (the 'locked' audit entry is written first), then closes the
   * database connection. Calls reject from now on.
   * @returns {Promise<void>}
   */
  close() {
    return this.#session.close();
  }
}
