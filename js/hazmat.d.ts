/**
 * `enveil/hazmat`: raw primitives with caller-chosen nonces and keys.
 * HAZARDOUS: reusing an AES-GCM nonce under one key reveals plaintexts and
 * allows forgeries. Prefer `Keyring` (record format v1).
 */

/** Loads the WASM module once (the same promise as `init` from 'enveil'). */
export function init(options?: import('./index.js').InitOptions): Promise<import('./index.js').EnveilBuild>;

/** AES-256-GCM: key 32 bytes, nonce 12 bytes; returns ciphertext ‖ 16-byte tag. */
export function aes256gcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
/** Checks the tag before returning plaintext; throws AUTH_FAILED otherwise. */
export function aes256gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
/** ChaCha20-Poly1305 (RFC 8439): key 32 bytes, nonce 12 bytes; returns ciphertext ‖ 16-byte tag. */
export function chacha20poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
/** Checks the tag before returning plaintext; throws AUTH_FAILED otherwise. */
export function chacha20poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
/** HMAC-SHA256: a 32-byte tag. */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array;
/** Constant-time check of a full (32-byte) or truncated (16 to 31 bytes) tag. */
export function hmacSha256Verify(key: Uint8Array, message: Uint8Array, tag: Uint8Array): boolean;
/**
 * An HMAC-SHA256 key for many messages: its padded-key hash states are
 * computed once (two SHA-256 blocks fewer per message than hmacSha256).
 * destroy() wipes it; a dropped key is wiped when garbage-collected.
 */
export class HmacSha256Key {
  /** Any key length (longer than 64 bytes: hashed first). */
  constructor(key: Uint8Array);
  /** The 32-byte tag of `message`; LOCKED after destroy(). */
  mac(message: Uint8Array): Uint8Array;
  /** Constant-time check of a full (32-byte) or truncated (16 to 31 bytes) tag. */
  verify(message: Uint8Array, tag: Uint8Array): boolean;
  /** Wipes the key from WASM memory. Idempotent. */
  destroy(): void;
  readonly destroyed: boolean;
}
/** HKDF-SHA256 extract-then-expand; length 1 to 8160. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
/** n bytes (0 to 1 MiB) from the platform CSPRNG. */
export function randomBytes(n: number): Uint8Array;
/** Wraps a 32-byte key under a 32-byte KEK (record format v1, key id 0, context as AAD): 102 bytes. */
export function wrapKey(kek: Uint8Array, key: Uint8Array, context: Uint8Array): Uint8Array;
/** Opens wrapKey() output; throws KEY_UNAVAILABLE for another KEK, context or edited bytes. */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array, context: Uint8Array): Uint8Array;
