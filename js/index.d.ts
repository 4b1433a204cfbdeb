/**
 * enveil: envelope encryption and blind indexes for data at rest in hybrid
 * apps. `await init()` once; after it every crypto call is synchronous.
 */

/** Loads the WASM module once (cached, idempotent). */
export function init(): Promise<void>;

export type ErrorCodeName =
  | 'AUTH_FAILED'
  | 'UNKNOWN_KEY'
  | 'KEY_UNAVAILABLE'
  | 'LOCKED'
  | 'INVALID_ARGUMENT'
  | 'QUOTA_EXCEEDED'
  | 'STORAGE_FAILED'
  | 'ROTATION_IN_PROGRESS'
  | 'REFRESH_FAILED'
  | 'REFRESH_REUSED'
  | 'UNSUPPORTED';

export const ErrorCode: Readonly<{ [K in ErrorCodeName]: K }>;

/** The one error class enveil throws. Messages never contain secrets. */
export class EnveilError extends Error {
  constructor(code: ErrorCodeName, message: string, options?: { cause?: unknown });
  readonly name: 'EnveilError';
  readonly code: ErrorCodeName;
}

export type KeyKind = 'data' | 'index';
export type KeyStatus = 'primary' | 'active' | 'retired';
export type Normalization = 'none' | 'lowercase' | 'trim-lowercase' | 'digits';

/** One keyring entry as export() gives it: the key only in wrapped form. */
export interface KeyringEntry {
  /** uint32, never 0 */
  id: number;
  kind: KeyKind;
  /** A collection for data keys; "collection/field" for index keys. */
  scope: string;
  status: KeyStatus;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The key sealed under the KEK (record format v1, 102 bytes). */
  wrapped: Uint8Array;
  /** Id of the KEK that wrapped it. */
  kekId: string;
}

export interface KeyringCreateOptions {
  /** The 32-byte key-encryption key, copied into WASM memory. */
  kek: Uint8Array;
  /** Bound into every wrapped key. @default 'default' */
  store?: string;
  /** Id of the KEK, bound into every wrapped key. @default 'default' */
  kekId?: string;
}

export interface KeyringLoadOptions extends KeyringCreateOptions {
  /** Entries from export(). */
  entries: KeyringEntry[];
  /** @default the entries' own kekId */
  kekId?: string;
}

export interface BlindIndexOptions {
  /** Bits kept, 8 to 256. @default 32 */
  bits?: number;
  /** @default 'none' */
  normalize?: Normalization;
  /** Compute under this (older) index key instead of the primary. */
  keyId?: number;
}

export class Keyring {
  private constructor();
  /** A new keyring with one primary data key for scope "default". */
  static create(options: KeyringCreateOptions): Keyring;
  /** Unwraps exported entries; all or nothing (KEY_UNAVAILABLE). */
  static load(options: KeyringLoadOptions): Keyring;

  /** Record format v1 under the primary data key of `scope` (default 'default'). */
  encrypt(plaintext: Uint8Array | string, context: Uint8Array | string, options?: { scope?: string }): Uint8Array;
  /** Throws AUTH_FAILED for anything that does not verify, UNKNOWN_KEY for a key not held. */
  decrypt(ciphertext: Uint8Array, context: Uint8Array | string): Uint8Array;
  /** "<keyId>:<hex>" for equality search on an encrypted field. */
  blindIndex(scope: string, field: string, value: Uint8Array | string, options?: BlindIndexOptions): string;
  /** A new primary key for (kind, scope); returns its id. */
  rotate(kind: KeyKind, scope: string): number;
  /** Marks a non-primary key active or retired. */
  setStatus(id: number, status: 'active' | 'retired'): void;
  /** Adds one exported entry (same KEK), e.g. a key another tab created. */
  importEntry(entry: KeyringEntry): void;
  /** Id of the KEK the entries are wrapped under. */
  readonly kekId: string;
  /** Makes key `id` the primary of its kind and scope again. */
  promote(id: number): void;
  /** Forgets (wipes) key `id`: only for keys never persisted or used. */
  remove(id: number): void;
  /** Re-wraps every key under a new KEK. */
  rewrap(options: { kek: Uint8Array; kekId: string }): void;
  /** Wraps a 32-byte secret under this keyring's KEK, bound to the store and context. */
  wrapSecret(secret: Uint8Array, context: Uint8Array | string): Uint8Array;
  /** Opens wrapSecret() output (KEY_UNAVAILABLE otherwise). */
  unwrapSecret(wrapped: Uint8Array, context: Uint8Array | string): Uint8Array;
  /** Every entry, wrapped: safe to persist. */
  export(): KeyringEntry[];
  /** Wipes every key and the KEK from WASM memory. */
  destroy(): void;
  readonly destroyed: boolean;
}

/** The plugin hook (DESIGN.md §6): holds the store's master key. */
export interface KeyProvider {
  /** Stable id of this KEK. */
  readonly id: string;
  wrapKey(key: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
  unwrapKey(wrapped: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
}

export interface BlindIndexSpec {
  /** 8 to 256. @default 32 */
  bits?: number;
  /** @default 'none' */
  normalize?: Normalization;
}

export interface CollectionDeclaration {
  /** Fields stored encrypted (record format v1, context = collection, id, field). */
  encrypted?: string[];
  /** Encrypted fields searchable by equality. */
  blindIndex?: Record<string, BlindIndexSpec>;
  /** Plain fields with an IndexedDB index. */
  indexes?: string[];
}

export interface StoreOpenOptions {
  /** IndexedDB database name. */
  name: string;
  provider: KeyProvider;
  collections: Record<string, CollectionDeclaration>;
  /** @default globalThis.indexedDB (pass fake-indexeddb in Node) */
  indexedDB?: IDBFactory;
  /** Lock after this many ms without a call. @default 0 (never) */
  autoLockMs?: number;
}

export interface RotationProgress {
  kind: 'data' | 'index';
  collection: string;
  field?: string;
  processed: number;
  total: number;
}

export interface RotationOptions {
  /** @default every collection */
  collection?: string;
  /** Records per transaction. @default 100 */
  batchSize?: number;
  /** Stops between batches; the rotation resumes later. */
  signal?: AbortSignal;
  onProgress?: (progress: RotationProgress) => void;
}

export type StoredRecord = { id: string | number } & Record<string, unknown>;

export class EncryptedStore {
  private constructor();
  static open(options: StoreOpenOptions): Promise<EncryptedStore>;
  static recover(options: {
    name: string;
    recoveryKey: string;
    newProvider: KeyProvider;
    collections?: Record<string, CollectionDeclaration>;
    indexedDB?: IDBFactory;
    autoLockMs?: number;
  }): Promise<EncryptedStore>;

  put(collection: string, id: string | number, record: Record<string, unknown>): Promise<void>;
  get(collection: string, id: string | number): Promise<StoredRecord | undefined>;
  delete(collection: string, id: string | number): Promise<void>;
  findBy(collection: string, field: string, value: unknown): Promise<StoredRecord[]>;
  where(collection: string, field: string, condition: { exists: boolean } | { ne: unknown }): Promise<StoredRecord[]>;
  list(collection: string, options?: { limit?: number; after?: string | number }): Promise<StoredRecord[]>;

  rotateMasterKey(newProvider: KeyProvider): Promise<void>;
  rotateDataKeys(options?: RotationOptions): Promise<void>;
  rotateIndexKeys(options?: RotationOptions & { field?: string }): Promise<void>;
  createRecoveryKey(): Promise<string>;
  keyStatus(): Promise<{ keys: Omit<KeyringEntry, 'wrapped'>[]; rotation: unknown | null }>;

  lock(): void;
  unlock(): Promise<void>;
  close(): void;
  readonly locked: boolean;
  readonly providerId: string;
}

export * as providers from './providers/index.js';
