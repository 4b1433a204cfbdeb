/**
 * enveil: envelope encryption and blind indexes for data at rest in hybrid
 * apps. `await init()` once; after it every crypto call is synchronous.
 */
import type { KeyProvider } from './providers/definitions.js';

/** Which build of the core `init()` loaded. */
export interface EnveilBuild {
  /** true for the WASM SIMD build (`-msimd128`), false for the baseline build. */
  readonly simd: boolean;
}

/** Options of `init()`; the first call decides. */
export interface InitOptions {
  /**
   * Omitted: the SIMD build where the engine runs WebAssembly SIMD (Chrome and
   * Android WebView 91+, iOS 16.4+, Node), the baseline build elsewhere.
   * `false`: the baseline build everywhere. `true`: the SIMD build, rejected
   * with UNSUPPORTED where the engine lacks SIMD.
   */
  simd?: boolean;
}

/**
 * Loads the WASM module once (cached, idempotent: later calls return the same
 * promise) and resolves to the build it loaded. A later call asking for the
 * other build rejects with INVALID_ARGUMENT.
 */
export function init(options?: InitOptions): Promise<EnveilBuild>;

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
  /** The suite encrypt() seals with; decrypt() opens both. @default 'aes-256-gcm' */
  suite?: 'aes-256-gcm' | 'chacha20-poly1305';
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

export type { KeyProvider } from './providers/definitions.js';

export interface BlindIndexSpec {
  /** 8 to 256. @default 32 */
  bits?: number;
  /** @default 'none' */
  normalize?: Normalization;
}

export interface CollectionDeclaration {
  /**
   * Fields stored encrypted: sealed together, one record v1 per record, whose
   * AAD binds the collection, the id and every plain field (store format 2).
   * The other fields are plain: JSON values, Dates or Uint8Arrays, stored in
   * clear and authenticated.
   */
  encrypted?: string[];
  /** Encrypted fields searchable by equality. */
  blindIndex?: Record<string, BlindIndexSpec>;
  /** Plain fields with an IndexedDB index. */
  indexes?: string[];
  /**
   * How the sealed JSON of a record is padded before encryption: 'padme'
   * (Padmé, at least 32 bytes: true and false, short enums and small
   * numbers have one stored length) or 'none'. @default 'padme'
   */
  pad?: 'padme' | 'none';
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
  /**
   * Called while the open waits because another connection (an older tab
   * of the app) holds an older version of the database: ask the user to
   * close it. The open completes once it is closed.
   */
  onBlocked?: () => void;
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
  /**
   * Called after each committed batch. A promise it returns holds the next
   * batch until it settles (a rejection stops the rotation, which resumes
   * later, as an abort does).
   */
  onProgress?: (progress: RotationProgress) => void | Promise<void>;
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
    onBlocked?: () => void;
  }): Promise<EncryptedStore>;

  /**
   * Stores `record` under `id`. A `record.id` property, when present, must
   * equal `id` (a record from get() can be put back as it is); a different
   * one is INVALID_ARGUMENT.
   */
  put(collection: string, id: string | number, record: Record<string, unknown>): Promise<void>;
  /**
   * Compare-and-set: stores `record` only if `predicate` accepts the plain
   * (unencrypted) fields of the record stored now (undefined when there is
   * none), read and written in one transaction. Resolves whether it wrote.
   * The record stored now must authenticate (AUTH_FAILED otherwise, nothing
   * written). The predicate runs inside the transaction: keep it synchronous
   * and quick.
   */
  putIf(
    collection: string,
    id: string | number,
    record: Record<string, unknown>,
    predicate: (current: Record<string, unknown> | undefined) => boolean,
  ): Promise<boolean>;
  get(collection: string, id: string | number): Promise<StoredRecord | undefined>;
  delete(collection: string, id: string | number): Promise<void>;
  findBy(collection: string, field: string, value: unknown): Promise<StoredRecord[]>;
  where(collection: string, field: string, condition: { exists: boolean } | { ne: unknown }): Promise<StoredRecord[]>;
  list(collection: string, options?: { limit?: number; after?: string | number }): Promise<StoredRecord[]>;

  /** Declares (or re-declares) a collection on an open store. */
  declare(name: string, declaration: CollectionDeclaration): Promise<void>;
  /** Appends an HMAC-chained audit entry (never put secrets in details). */
  appendAudit(event: string, details: Record<string, unknown>): Promise<AuditEntry>;
  auditLog(options?: { since?: number; limit?: number }): Promise<AuditEntry[]>;
  verifyAuditLog(): Promise<AuditVerification>;
  /** Subscribes to one of the store's events (see StoreEvents). Returns the unsubscribe function. */
  on<E extends keyof StoreEvents>(event: E, listener: (payload: StoreEvents[E]) => void): () => void;

  rotateMasterKey(newProvider: KeyProvider): Promise<void>;
  rotateDataKeys(options?: RotationOptions): Promise<void>;
  rotateIndexKeys(options?: RotationOptions & { field?: string }): Promise<void>;
  /**
   * A new recovery key (shown once), replacing and revoking any earlier one:
   * a new store key (one provider call to wrap it) and new primary data and
   * index keys, so the earlier recovery key, even with an older backup,
   * opens nothing written from now on. Other open instances must unlock()
   * again. Run rotateDataKeys() after it to also retire the keys the earlier
   * recovery key could reach.
   */
  createRecoveryKey(): Promise<string>;
  keyStatus(): Promise<{ keys: Omit<KeyringEntry, 'wrapped'>[]; rotation: unknown | null }>;

  /** Rejects every call with LOCKED at once; resolves when the keys are wiped. */
  lock(): Promise<void>;
  unlock(): Promise<void>;
  /** Locks (writing the 'locked' audit entry), then closes the database. */
  close(): Promise<void>;
  readonly locked: boolean;
  readonly name: string;
  readonly providerId: string;
}

/** A finished key rotation, as 'key-rotated' reports it (and the audit log records it). */
export type KeyRotatedEvent =
  | {
      kind: 'master';
      /** The provider that wraps the store key now. */
      providerId: string;
      /** Set when EncryptedStore.recover() made the new store key. */
      recovered?: true;
    }
  | {
      kind: 'data' | 'index';
      collection: string;
      /** The blind-indexed field, for index keys. */
      field?: string;
      /** The new primary key. */
      keyId: number;
      /** Keys retired by this rotation (none while a record could not be read). */
      retired: number[];
      /** How many records did not authenticate and were left under their old key. */
      unreadable?: number;
    };

/** The events of EncryptedStore.on(): event name → payload. Payloads never contain record values or keys. */
export interface StoreEvents {
  /** The keys were wiped (lock(), auto-lock, close(), or the store key rotated by another instance). */
  locked: Record<string, never>;
  /** unlock() succeeded. */
  unlocked: Record<string, never>;
  'key-rotated': KeyRotatedEvent;
  /** Every entry appended to the audit log, by this instance. */
  audit: AuditEntry;
  /**
   * A record left out of a findBy/where/list result because it does not
   * authenticate (altered on disk). get() rejects with AUTH_FAILED instead.
   */
  unreadable: { collection: string; id: string | number; code: 'AUTH_FAILED' };
  /**
   * A rotation resumed by open(), declare() or recover() failed. The work
   * stays saved: the next rotateDataKeys/rotateIndexKeys or open retries it.
   */
  'rotation-error': EnveilError | Error;
  /** An upgrade by declare() waits for another connection (an older tab) to close. */
  blocked: Record<string, never>;
  /** Another connection upgraded the database: this one closed, and the next call reopens it. */
  versionchange: Record<string, never>;
  /** The browser closed the connection (storage cleared, disk failure): the next call reopens it. */
  terminated: Record<string, never>;
}

/** The events of TokenVault.on(): event name → payload. Payloads never contain token values. */
export interface TokenVaultEvents {
  /** setTokens() stored a new pair. */
  stored: { expiresAt: number; scope?: string };
  /** A valid access token was returned. */
  read: { expiresAt: number };
  /** A refresh succeeded. */
  refreshed: { expiresAt: number };
  /** The server returned a new refresh token. */
  rotated: Record<string, never>;
  /** The server saw a refresh token used twice: the tokens were wiped. */
  'reuse-detected': Record<string, never>;
  /** The same moment as 'reuse-detected', under the error code's name. */
  REFRESH_REUSED: { code: 'REFRESH_REUSED' };
  'refresh-failed': { reason: 'reused' | 'invalid' | 'network' | 'other' };
  /** An expired token returned offline within offlineGraceMs. */
  'offline-grace': { expiresAt: number };
  /** The app stopped during a refresh: found on open. */
  'refresh-interrupted': { since: number };
  /** clear() (sign-out). */
  cleared: Record<string, never>;
  locked: StoreEvents['locked'];
  unlocked: StoreEvents['unlocked'];
  'key-rotated': StoreEvents['key-rotated'];
}

export interface AuditEntry {
  seq: number;
  /** ms since the epoch */
  at: number;
  event: string;
  /** Never secrets: key ids, expiry times. */
  details: Record<string, unknown>;
  /** "<keyId>:<hex>": HMAC-SHA256 chaining this entry to the previous one. */
  mac: string;
}

export type AuditVerification =
  | { ok: true; entries: number }
  | { ok: false; entries: number; seq: number; reason: string };

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** ms since the epoch */
  expiresAt?: number;
  /** seconds from now */
  expiresIn?: number;
  scope?: string;
  idToken?: string;
}

/** What the app's refresh function throws to say why it failed. */
export class RefreshError extends Error {
  constructor(kind: 'reused' | 'invalid' | 'network', message?: string, options?: { cause?: unknown });
  readonly kind: 'reused' | 'invalid' | 'network';
}

export interface AccessTokenInfo {
  accessToken: string;
  expiresAt: number;
  /** An expired token returned offline within offlineGraceMs. */
  offline: boolean;
}

export interface TokenVaultOptions {
  store: EncryptedStore;
  /** Calls the auth server; throw RefreshError to say why it failed. */
  refresh: (refreshToken: string) => Promise<TokenSet>;
  /** @default Date.now */
  now?: () => number;
  /** @default 30000 */
  skewMs?: number;
  /** @default 0 */
  offlineGraceMs?: number;
  /** @default 'return-expired' */
  offlinePolicy?: 'return-expired' | 'throw';
  /** How long a rotated-away refresh token is kept for a retry. @default 60000 */
  previousGraceMs?: number;
  /** Several sessions in one store. @default 'session' */
  name?: string;
}

export class TokenVault {
  private constructor();
  static open(options: TokenVaultOptions): Promise<TokenVault>;
  setTokens(tokens: TokenSet): Promise<void>;
  getAccessToken(options?: { forceRefresh?: boolean }): Promise<string | null>;
  getAccessTokenInfo(options?: { forceRefresh?: boolean }): Promise<AccessTokenInfo | null>;
  clear(): Promise<void>;
  status(): Promise<'locked' | 'empty' | 'valid' | 'expired' | 'offline-grace'>;
  auditLog(options?: { since?: number; limit?: number }): Promise<AuditEntry[]>;
  verifyAuditLog(): Promise<AuditVerification>;
  /** Subscribes to one of the vault's events (see TokenVaultEvents). Returns the unsubscribe function. */
  on<E extends keyof TokenVaultEvents>(event: E, listener: (payload: TokenVaultEvents[E]) => void): () => void;
}

export * as providers from './providers/index.js';
