/**
 * EncryptedStore: records in IndexedDB whose declared fields are encrypted
 * and whose every field is authenticated (store format 2: one record v1
 * per record, one data key per collection), optionally searchable through
 * blind indexes. Keys live in a Keyring wrapped under a store master key
 * (SMK), which a KeyProvider wraps: one provider call per unlock; the
 * keyring, its statuses and the declarations are authenticated by the
 * store's manifest.
 *
 * This file is the class the package exports and its static methods, no
 * more: the store's code (opened-store.js, whose OpenedStore extends this
 * class, and the modules it uses) loads when open() or recover() first
 * runs (js/internal/load-open-code.js), so that `import('enveil')` and
 * init() do not pay for it. Every store they return is an instance of this
 * class.
 * @module
 */
import { EnveilError } from '../errors.js';
import { loadOpenCode } from '../internal/load-open-code.js';

/** @typedef {import('../providers/definitions.js').KeyProvider} KeyProvider */
/** @typedef {import('./declarations.js').CollectionSpec} CollectionSpec */
/**
 * The type of an open store, with all its methods: code holding a store (the
 * command line, TokenVault) sees them under the public name. The class below
 * is a const, not a class declaration, so that this name can stand for both.
 * @typedef {import('./opened-store.js').OpenedStore} EncryptedStore
 */
export const EncryptedStore = class EncryptedStore {
  /** @protected Made by open() or recover(), as an OpenedStore. */
  constructor() {
    if (new.target === EncryptedStore) {
      throw new EnveilError('INVALID_ARGUMENT', 'an EncryptedStore is made by EncryptedStore.open() or EncryptedStore.recover()');
    }
  }

  /**
   * Opens (or creates) the store `name` and unlocks it with `provider`.
   * Resumes a key rotation that a crash interrupted.
   * @param {{ name: string, provider: KeyProvider, collections: Record<string, Partial<CollectionSpec>>,
   *   indexedDB?: IDBFactory, autoLockMs?: number, onBlocked?: () => void }} options onBlocked: called while the
   *   open waits because another connection (an older tab) holds an older version of the database
   * @returns {Promise<import('./opened-store.js').OpenedStore>}
   */
  static async open(options) {
    return (await loadOpenCode()).OpenedStore.open(options);
  }

  /**
   * After the platform key was lost: unlocks the store `name` with the
   * recovery key from createRecoveryKey(), then re-wraps it under
   * `newProvider`. The recovery key keeps working afterwards.
   * @param {{ name: string, recoveryKey: string, newProvider: KeyProvider,
   *   collections?: Record<string, Partial<CollectionSpec>>, indexedDB?: IDBFactory, autoLockMs?: number,
   *   onBlocked?: () => void }} options
   * @returns {Promise<import('./opened-store.js').OpenedStore>}
   */
  static async recover(options) {
    return (await loadOpenCode()).OpenedStore.recover(options);
  }
};
