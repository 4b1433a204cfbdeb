import type { KeyProvider } from './definitions.js';

/** How a transient failure (network, timeout, 5xx, throttling) is retried. @since 0.2.0 */
export interface RetryOptions {
  /** Tries in all, the first included; 1 turns retrying off (1 to 10). @default 3 */
  attempts?: number;
  /** Wait before the second try; doubles for each later one, plus up to as much again at random. @default 100 */
  backoffMs?: number;
  /** How to wait (tests pass one that returns at once). @default a setTimeout promise */
  sleep?: (ms: number) => Promise<void>;
}

/** @since 0.2.0 */
export interface VaultTransitOptions {
  /** Vault's address, e.g. 'https://vault.example.com:8200' (what VAULT_ADDR holds). */
  address: string;
  /** The Vault token, or a function (may be async) called before every request that returns the current one. */
  token: string | (() => string | Promise<string>);
  /** Name of the Transit key; an AES-GCM key (aes256-gcm96), which authenticates `associated_data`. */
  key: string;
  /** Path the Transit engine is mounted at. @default 'transit' */
  mount?: string;
  /** Sent as X-Vault-Namespace (Vault Enterprise, OpenBao). */
  namespace?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per request; a timed-out request counts as a network error (retried). @default 10000 */
  timeoutMs?: number;
  /** Allow an http: address other than localhost (token and store key cross in clear). @default false */
  allowHttp?: boolean;
  retry?: RetryOptions;
  /** Provider id, stored with the wrapped key. @default 'vault-transit:<mount>/<key>' */
  id?: string;
}

/**
 * The KEK in Vault's (or OpenBao's) Transit engine: the store key is sent to
 * `encrypt`/`decrypt` with the context as `associated_data`. The wrapped form
 * is the UTF-8 of Vault's "vault:v<n>:…" ciphertext.
 * @throws EnveilError INVALID_ARGUMENT for bad options (at once); KEY_UNAVAILABLE from wrapKey/unwrapKey
 *   for any refusal, a malformed answer, or a service still failing after `retry.attempts` tries.
 * @since 0.2.0
 */
export function vaultTransit(options: VaultTransitOptions): KeyProvider;

/** What awsKms sends: the input of KMS Encrypt. */
export interface KmsEncryptInput {
  KeyId: string;
  Plaintext: Uint8Array;
  EncryptionContext: Record<string, string>;
}
/** What awsKms sends: the input of KMS Decrypt. */
export interface KmsDecryptInput {
  CiphertextBlob: Uint8Array;
  EncryptionContext: Record<string, string>;
  KeyId?: string;
}

/** The aggregated client of @aws-sdk/client-kms (`new KMS(…)`), or anything with the same two methods. */
export interface KmsAggregatedClient {
  encrypt(input: KmsEncryptInput): Promise<{ CiphertextBlob?: Uint8Array }>;
  decrypt(input: KmsDecryptInput): Promise<{ Plaintext?: Uint8Array }>;
}
/** A bare `KMSClient` of @aws-sdk/client-kms. */
export interface KmsBareClient {
  send(command: any): Promise<any>;
}
/** `EncryptCommand` and `DecryptCommand` of @aws-sdk/client-kms. */
export interface KmsCommands {
  EncryptCommand: new (input: KmsEncryptInput) => unknown;
  DecryptCommand: new (input: KmsDecryptInput) => unknown;
}

/** @since 0.2.0 */
export type AwsKmsOptions = {
  /** Key id, key ARN, alias name ('alias/…') or alias ARN of a symmetric KMS key. */
  keyId: string;
  retry?: RetryOptions;
  /** Provider id, stored with the wrapped key. @default 'aws-kms:<keyId>' */
  id?: string;
} & (
  | { /** `new KMS({ region, … })`: region, credentials and the SDK's own retries are the app's. */ client: KmsAggregatedClient; commands?: undefined }
  | { /** `new KMSClient({ region, … })` */ client: KmsBareClient; commands: KmsCommands }
);

/**
 * The KEK in AWS KMS: `Encrypt`/`Decrypt` with the context as the encryption
 * context `{ enveil: base64url(context) }`; the wrapped form is KMS's
 * CiphertextBlob. The SDK client is the app's: enveil imports no SDK.
 * @throws EnveilError INVALID_ARGUMENT for bad options (at once); KEY_UNAVAILABLE from wrapKey/unwrapKey
 *   for any refusal, a malformed answer, or a service still failing after `retry.attempts` tries.
 * @since 0.2.0
 */
export function awsKms(options: AwsKmsOptions): KeyProvider;
