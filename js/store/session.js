// The shared state of one open store: its connection, its declarations, the
// unlocked keyring, whether that keyring is being saved or is stale, the
// auto-lock timer and the event listeners. Every store module takes the
// session as its first argument; only the facade (encrypted-store.js) holds it.
import { EnveilError } from '../errors.js';
import { init } from '../internal/wasm.js';
import { nameArg } from '../internal/limits.js';
import { Listeners } from '../internal/listeners.js';
import { StoreDatabase } from './database.js';
import { normalizeCollections, specOf } from './declarations.js';
import { listenForKeyringChanges, syncKeyring } from './keyring-sync.js';
import { appendAuditEntry } from './audit-log.js';

/** @typedef {import('../providers/definitions.js').KeyProvider} KeyProvider */
/** @typedef {import('./declarations.js').CollectionSpec} CollectionSpec */

export class StoreSession {
  /** @type {string} */
  name;
  /** @type {Record<string, CollectionSpec>} */
  collections;
  /** @type {KeyProvider} */
  provider;
  /** @type {number} */
  autoLockMs;
  /** @type {StoreDatabase} */
  db;
  /** @type {import('../keyring.js').Keyring | null} */
  ring = null;
  /** @type {import('./manifest.js').Manifest | null} the authenticated manifest, while unlocked */
  manifest = null;
  /** Counts lock() calls: an unlock that a lock overtook gives up its keys. */
  lockGeneration = 0;
  /** @type {{ generation: number, done: Promise<void> } | null} the unlock() under way, shared by concurrent calls */
  unlocking = null;
  /** recover() without declarations: the manifest's are used once it authenticates */
  adoptDeclarations = false;
  /** @type {Promise<void> | null} a keyring change being persisted: writes wait for it */
  keyringBusy = null;
  /** Another instance (tab, worker) changed the keyring: reload before use. */
  stale = false;
  /** close() called: no new work; the lock's audit entry may still be written */
  closing = false;
  closed = false;
  /** @type {BroadcastChannel | null} */
  channel = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #autoLockTimer;
  #listeners = new Listeners();
  /** @type {(() => void) | undefined} told of a blocked open until open() resolves */
  #onBlocked;

  /**
   * @param {{ name: string, factory: IDBFactory, collections: Record<string, CollectionSpec>, provider: KeyProvider, autoLockMs: number,
   *   onBlocked?: () => void }} o onBlocked: told while open() waits for an older connection
   */
  constructor(o) {
    this.name = o.name;
    this.collections = o.collections;
    this.provider = o.provider;
    this.autoLockMs = o.autoLockMs;
    this.#onBlocked = o.onBlocked;
    this.db = new StoreDatabase(o.factory, o.name, () => this.collections, {
      blocked: () => {
        // Before open() resolves no one can have subscribed: the option says it.
        this.#onBlocked?.();
        this.emit('blocked', {});
      },
      versionchange: () => this.emit('versionchange', {}),
      terminated: () => this.emit('terminated', {}),
    });
  }

  /** open() or recover() resolved: from now on a blocked upgrade is only the 'blocked' event. */
  opened() {
    this.#onBlocked = undefined;
  }

  /** The declaration of `collection` (INVALID_ARGUMENT if undeclared). @param {unknown} collection */
  spec(collection) {
    return specOf(this.collections, collection);
  }

  /** @returns {import('../keyring.js').Keyring} */
  unlocked() {
    if (this.closed || this.closing) throw new EnveilError('STORAGE_FAILED', `store '${this.name}' is closed`);
    if (!this.ring) throw new EnveilError('LOCKED', `store '${this.name}' is locked: call unlock()`);
    return this.ring;
  }

  /** The manifest held while unlocked. @returns {import('./manifest.js').Manifest} */
  currentManifest() {
    if (!this.manifest) throw new EnveilError('LOCKED', `store '${this.name}' is locked: call unlock()`);
    return this.manifest;
  }

  /**
   * Takes the keys of an unlock. If a lock() came after the unlock started
   * (`generation` is no longer current), or keys are already held, the new
   * keyring is destroyed instead: no keyring is ever dropped unwiped.
   * @param {import('../keyring.js').Keyring} ring
   * @param {import('./manifest.js').Manifest} manifest
   * @param {number} generation lockGeneration when the unlock started
   */
  takeKeys(ring, manifest, generation) {
    if (generation !== this.lockGeneration || this.ring || this.closing || this.closed) {
      ring.destroy();
      if (this.ring && generation === this.lockGeneration) return;
      throw new EnveilError('LOCKED', `store '${this.name}' was locked while it was being unlocked`);
    }
    this.ring = ring;
    this.manifest = manifest;
  }

  /** Activity: restarts the auto-lock timer. */
  touch() {
    if (!this.autoLockMs) return;
    clearTimeout(this.#autoLockTimer);
    this.#autoLockTimer = setTimeout(() => this.lock(), this.autoLockMs);
    /** @type {any} */ (this.#autoLockTimer).unref?.();
  }

  /** Waits for an in-flight keyring change, then returns the unlocked keyring. */
  async ready() {
    while (this.keyringBusy) await this.keyringBusy;
    if (this.stale && this.ring) await syncKeyring(this);
    const ring = this.unlocked();
    this.touch();
    return ring;
  }

  /**
   * Calls `seal` with the unlocked keyring once no keyring change is being
   * saved, with no await in between: a key rotation cannot start in the
   * microtasks before it, so no record is ever sealed under a key that is
   * not stored yet.
   * @template T
   * @param {(ring: import('../keyring.js').Keyring) => T} seal
   * @returns {Promise<T>}
   */
  async whenKeyringSaved(seal) {
    await this.ready();
    while (this.keyringBusy) await this.ready();
    return seal(this.unlocked());
  }

  /**
   * Runs a change of the keyring that must be persisted before any record
   * uses it: record writes wait until it has committed or been undone.
   * @param {() => Promise<void>} change
   */
  async changeKeyring(change) {
    while (this.keyringBusy) await this.keyringBusy;
    let release = () => {};
    this.keyringBusy = new Promise((resolve) => { release = resolve; });
    try {
      await change();
    } finally {
      this.keyringBusy = null;
      release();
    }
  }

  /**
   * Locks: every call rejects with LOCKED from now on. The keys are wiped
   * once the 'locked' audit entry is written (milliseconds); await the
   * result to know they are gone.
   * @returns {Promise<void>}
   */
  lock() {
    clearTimeout(this.#autoLockTimer);
    this.lockGeneration++;
    const ring = this.ring;
    if (!ring) return Promise.resolve();
    this.ring = null;
    this.emit('locked', {});
    return appendAuditEntry(this, ring, 'locked', { kekId: ring.kekId })
      .then(() => {}, () => {})
      .finally(() => {
        ring.destroy();
        if (!this.ring) this.manifest = null;
      });
  }

  /**
   * Wipes the keys at once, writing nothing: after a failed change of the
   * store key, whose keyring no longer matches what is stored (an audit
   * entry sealed with it would break the store). The next unlock reads the
   * stored state.
   */
  dropKeys() {
    clearTimeout(this.#autoLockTimer);
    this.lockGeneration++;
    const ring = this.ring;
    this.ring = null;
    this.manifest = null;
    if (!ring) return;
    ring.destroy();
    this.emit('locked', {});
  }

  /**
   * Locks (the 'locked' audit entry is written first), then closes the
   * database connection.
   * @returns {Promise<void>}
   */
  close() {
    const locking = this.lock();
    this.closing = true;
    return locking.finally(() => {
      this.closed = true;
      this.channel?.close();
      this.channel = null;
      this.db.close();
    });
  }

  /** @param {string} event @param {(payload: any) => void} fn */
  on(event, fn) {
    return this.#listeners.on(event, fn);
  }

  /** @param {string} event @param {any} payload */
  emit(event, payload) {
    this.#listeners.emit(event, payload);
  }
}

/**
 * Checks the options, connects, and listens for other instances' keyring
 * changes: a session ready to be unlocked.
 * @param {any} options
 * @param {KeyProvider} provider
 */
export async function openSession(options, provider) {
  await init();
  if (!options || typeof options !== 'object') throw new EnveilError('INVALID_ARGUMENT', 'options must be an object');
  const { name, indexedDB = globalThis.indexedDB, autoLockMs = 0, onBlocked } = options;
  if (typeof name !== 'string' || name.length === 0) throw new EnveilError('INVALID_ARGUMENT', 'name must be a non-empty string');
  nameArg(name, 'name', 'id');
  if (!indexedDB || typeof indexedDB.open !== 'function') {
    throw new EnveilError('UNSUPPORTED', 'no IndexedDB: pass options.indexedDB (e.g. fake-indexeddb in Node)');
  }
  if (typeof autoLockMs !== 'number' || autoLockMs < 0) {
    throw new EnveilError('INVALID_ARGUMENT', 'autoLockMs must be a number of milliseconds (0: never)');
  }
  if (onBlocked !== undefined && typeof onBlocked !== 'function') {
    throw new EnveilError('INVALID_ARGUMENT', 'onBlocked must be a function');
  }
  const collections = options.collections === null ? null : normalizeCollections(options.collections);
  const session = new StoreSession({ name, factory: indexedDB, collections: collections ?? {}, provider, autoLockMs, onBlocked });
  // recover() without declarations: the manifest's, once it authenticates.
  session.adoptDeclarations = collections === null;
  try {
    await session.db.connect();
  } catch (err) {
    session.db.close();
    throw err;
  }
  listenForKeyringChanges(session);
  return session;
}
