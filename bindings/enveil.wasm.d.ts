// Types of the Emscripten module (copied next to dist/enveil.wasm.js by the
// build) so that js/ type-checks against the boundary it calls.
export interface KeyringHandle {
  create(kek: number, kekLen: number, store: string, kekId: string, suite: number): number;
  importEntry(id: number, kind: number, scope: string, status: number, createdAt: number, wrapped: number, wrappedLen: number): number;
  rotate(kind: number, scope: string, createdAt: number): number;
  setStatus(id: number, status: number): number;
  promote(id: number): number;
  remove(id: number): number;
  rewrap(kek: number, kekLen: number, kekId: string): number;
  wrapSecret(ctx: number, ctxLen: number, secret: number, secretLen: number, out: number, outLen: number): number;
  unwrapSecret(ctx: number, ctxLen: number, wrapped: number, wrappedLen: number, out: number, outLen: number): number;
  /** The number of entries; -ErrorCode (LOCKED) without a keyring (before create(), after destroy()), as every method. */
  size(): number;
  /** Entry `index`; -ErrorCode for an index that is not an integer in [0, size()) (INVALID_ARGUMENT) or without a keyring (LOCKED). */
  entry(index: number): number | { id: number; kind: number; scope: string; status: number; createdAt: number; wrapped: Uint8Array };
  encrypt(scope: number, scopeLen: number, ctx: number, ctxLen: number, pt: number, ptLen: number, out: number, outLen: number): number;
  decrypt(rec: number, recLen: number, ctx: number, ctxLen: number, out: number, outLen: number): number;
  /** Writes "<keyId>:<hex>" (ASCII) to dst; returns its length or -ErrorCode. */
  blindIndex(scope: number, scopeLen: number, field: number, fieldLen: number, value: number, valueLen: number, mode: number, bits: number, keyId: number, dst: number, dstLen: number): number;
  destroy(): void;
  delete(): void;
}

export interface HmacKeyHandle {
  setKey(key: number, keyLen: number): void;
  mac(msg: number, msgLen: number, out: number, outLen: number): number;
  verify(msg: number, msgLen: number, tag: number, tagLen: number): number;
  destroy(): void;
  delete(): void;
}

export interface EnveilModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  KeyringHandle: new () => KeyringHandle;
  HmacKeyHandle: new () => HmacKeyHandle;
  aes256gcmSeal(...args: number[]): number;
  aes256gcmOpen(...args: number[]): number;
  hmacSha256(...args: number[]): number;
  chacha20poly1305Seal(...args: number[]): number;
  chacha20poly1305Open(...args: number[]): number;
  readonly SUITE_AES_256_GCM: number;
  readonly SUITE_CHACHA20_POLY1305: number;
  hmacSha256Verify(...args: number[]): number;
  hkdfSha256(...args: number[]): number;
  randomBytes(...args: number[]): number;
  wrapKey(...args: number[]): number;
  unwrapKey(...args: number[]): number;
  readonly AES_GCM_KEY_BYTES: number;
  readonly AES_GCM_NONCE_BYTES: number;
  readonly AES_GCM_TAG_BYTES: number;
  readonly CHACHA20_POLY1305_KEY_BYTES: number;
  readonly CHACHA20_POLY1305_NONCE_BYTES: number;
  readonly CHACHA20_POLY1305_TAG_BYTES: number;
  readonly HMAC_SHA256_BYTES: number;
  /** Bytes of stack zeroed below the light (HMAC, HKDF, ChaCha20, blind index) and the other entry points. */
  readonly STACK_BURN_SMALL_BYTES: number;
  readonly STACK_BURN_LARGE_BYTES: number;
  /** The stack pointer at an entry point's level (for the stack-burn test). */
  stackPointer(): number;
  readonly HMAC_SHA256_MIN_VERIFY_BYTES: number;
  readonly HKDF_SHA256_MAX_BYTES: number;
  readonly RANDOM_MAX_BYTES: number;
  readonly RECORD_OVERHEAD_BYTES: number;
  /** A record key: what wrapKey wraps, and every keyring key. */
  readonly RECORD_KEY_BYTES: number;
  readonly KEYRING_KEK_BYTES: number;
  readonly KEYRING_WRAPPED_BYTES: number;
  readonly WRAPPED_KEY_BYTES: number;
  readonly KEYRING_MAX_NAME_BYTES: number;
  readonly BLIND_INDEX_MIN_BITS: number;
  readonly BLIND_INDEX_MAX_BITS: number;
  /** The longest "<keyId>:<hex>" a blind index can be. */
  readonly BLIND_INDEX_MAX_TEXT_BYTES: number;
  /** The normalisation names, indexed by the mode number blindIndex takes. */
  normalizationNames(): string[];

  // The stream format of the command line (bindings/stream.cc).
  streamSealBegin(...args: number[]): number;
  streamOpenBegin(...args: number[]): number;
  streamRewrapHeader(...args: number[]): number;
  streamSealChunk(...args: number[]): number;
  streamOpenChunk(...args: number[]): number;
  /** The parsed header, or -ErrorCode. */
  streamParseHeader(bytes: number, bytesLen: number): number | { size: number; immutableSize: number; chunkBytes: number; fileId: Uint8Array; context: Uint8Array; keyId: Uint8Array };
  streamHeaderBytes(contextLen: number, keyIdLen: number): number;
  streamKeyIdValid(id: number, idLen: number): boolean;
  readonly STREAM_KEY_BYTES: number;
  readonly STREAM_TAG_BYTES: number;
  readonly STREAM_MASTER_KEY_BYTES: number;
  readonly STREAM_MAX_HEADER_BYTES: number;
  readonly STREAM_MAX_CONTEXT_BYTES: number;
  readonly STREAM_MAX_KEY_ID_BYTES: number;
  readonly STREAM_MIN_CHUNK_BYTES: number;
  readonly STREAM_MAX_CHUNK_BYTES: number;
  readonly STREAM_DEFAULT_CHUNK_BYTES: number;
  readonly STREAM_MAX_CHUNK_INDEX: number;
  readonly STREAM_VERSION: number;
  readonly STREAM_SUITE_AES_256_GCM: number;
}

/**
 * Instantiates the module from `wasmBinary`, the WASM of one build (the glue
 * ships without one: js/internal/wasm.js inflates the payload it picked).
 */
export default function createEnveilModule(options: { wasmBinary: Uint8Array }): Promise<EnveilModule>;
