// providers.pkcs11 (Node): a KEK that never leaves a PKCS#11 token (an HSM,
// a cloud HSM's client library, a smart card, SoftHSM2). The store key is
// sealed with CKM_AES_GCM inside the token, the context bound as AAD:
//
//   wrapped = version (1 byte, 0x01) ‖ IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes)
//
// The IV comes from the token's C_GenerateRandom: PKCS#11 2.40's CKM_AES_GCM
// takes the IV from the caller, and SoftHSM2 (2.6) does not generate one (it
// even accepts an empty IV, which is why we never pass one it could
// misread). `pkcs11js`, a native addon, is an optional peer dependency
// loaded on first use; nothing here imports a node: module, so a browser
// bundle can hold this file and fail only when it is called.
import { EnveilError } from '../errors.js';
import { limits } from '../internal/limits.js';
import { bytesArg, init } from '../internal/wasm.js';
import { wipe } from '../internal/encoding.js';

import {
  AES_256_KEY_BYTES, FORMAT_VERSION, HEADER_BYTES, IV_BYTES, TAG_BYTES, asBuffer, checkOptions, closeSession, codeOf,
  failure, findKeys, gcm, nodeBuffer, openSession, quietly, staleCodes, usableKey,
} from './pkcs11-token.js';

/** @typedef {import('./definitions.js').KeyProvider} KeyProvider */
/**
 * @typedef {import('./pkcs11-token.js').Pkcs11Options} Pkcs11Options
 * @typedef {import('./pkcs11-token.js').Handle} Handle
 * @typedef {import('./pkcs11-token.js').Session} Session
 */

/**
 * A KEK in a PKCS#11 token: wraps and unwraps the store key with
 * CKM_AES_GCM inside the token, the context as AAD. Node only; needs the
 * `pkcs11js` package.
 *
 * One session per provider, opened and logged in on first use and kept;
 * calls on it run one at a time (a PKCS#11 session runs one operation at a
 * time), the encryption itself off the event loop. A session that stopped
 * working (token removed, session closed) is replaced once per call. A
 * string PIN the token refused is not tried again (each try counts towards
 * the token's lockout); a function PIN is asked again on the next call.
 *
 * Every failure is EnveilError KEY_UNAVAILABLE, its message naming the step
 * and never the token's return code; UNSUPPORTED when pkcs11js is missing.
 * @param {Pkcs11Options} options
 * @returns {KeyProvider & { close(): Promise<void> }}
 * @since 0.2.0
 */
export function pkcs11(options) {
  const o = checkOptions(options, 'providers.pkcs11');
  const target = { module: o.module, token: o.token, key: o.key, pin: o.pin, slot: o.slot };
  const id = `pkcs11:${o.token}/${o.key}`;
  const fail = failure(id);
  /** @type {(Session & { key: Handle }) | undefined} */
  let current;
  let pinRefused = false;
  /** @type {Promise<unknown>} */
  let tail = Promise.resolve();

  /**
   * Runs `task` after every call queued before it on this provider.
   * @template T @param {() => Promise<T>} task @returns {Promise<T>}
   */
  const serially = (task) => {
    const run = tail.then(task);
    tail = run.then(() => {}, () => {});
    return run;
  };

  const forget = () => {
    if (current) closeSession(current);
    current = undefined;
  };

  const session = async () => {
    if (current) return current;
    if (pinRefused) throw fail('the token refused the PIN (not tried again)');
    const s = await openSession(target, id, { onPinRefused: () => { pinRefused = typeof target.pin === 'string'; } });
    try {
      current = { ...s, key: usableKey(s, target.key, fail) };
    } catch (err) {
      closeSession(s);
      throw err instanceof EnveilError ? err : fail('cannot read the key\'s attributes', err);
    }
    return current;
  };

  /**
   * One operation on the session, retried once on a new session when the
   * old one went stale.
   * @template T
   * @param {(s: Session & { key: Handle }) => Promise<T>} operation
   * @param {(err: unknown) => EnveilError} onError
   * @returns {Promise<T>}
   */
  const withKey = (operation, onError) => serially(async () => {
    for (let attempt = 0; ; attempt += 1) {
      const s = await session();
      try {
        return await operation(s);
      } catch (err) {
        if (err instanceof EnveilError) throw err;
        if (staleCodes(s.pk).has(/** @type {number} */ (codeOf(err)))) {
          forget();
          if (attempt === 0) continue;
        }
        throw onError(err);
      }
    }
  });

  return {
    id,
    async wrapKey(key, context) {
      await init();
      bytesArg(key, 'key', limits().KEY_BYTES);
      bytesArg(context, 'context');
      return withKey(async ({ pk, library: { lib }, session: h, key: kek }) => {
        const wrapped = new Uint8Array(HEADER_BYTES + key.length + TAG_BYTES);
        const plain = nodeBuffer().alloc(key.length);
        const out = nodeBuffer().alloc(key.length + TAG_BYTES);
        try {
          plain.set(key);
          const iv = lib.C_GenerateRandom(h, nodeBuffer().alloc(IV_BYTES));
          lib.C_EncryptInit(h, gcm(pk, iv, asBuffer(context)), kek);
          const sealed = await lib.C_EncryptAsync(h, plain, out);
          if (sealed.length !== out.length) throw fail('the token returned a ciphertext of the wrong size');
          wrapped[0] = FORMAT_VERSION;
          wrapped.set(iv, 1);
          wrapped.set(sealed, HEADER_BYTES);
          return wrapped;
        } finally {
          wipe(plain);
        }
      }, (err) => fail('the token could not wrap the key', err));
    },
    async unwrapKey(wrapped, context) {
      await init();
      bytesArg(wrapped, 'wrapped');
      bytesArg(context, 'context');
      const keyBytes = limits().KEY_BYTES;
      // One message, and no cause, for every way the blob can be wrong:
      // a caller learns nothing about which part failed.
      const refused = () => fail('cannot unwrap this key (its key changed or the data was edited)');
      if (wrapped.length !== HEADER_BYTES + keyBytes + TAG_BYTES || wrapped[0] !== FORMAT_VERSION) throw refused();
      return withKey(async ({ pk, library: { lib }, session: h, key: kek }) => {
        const out = nodeBuffer().alloc(keyBytes + TAG_BYTES);
        try {
          lib.C_DecryptInit(h, gcm(pk, nodeBuffer().from(wrapped.subarray(1, HEADER_BYTES)), asBuffer(context)), kek);
          const key = await lib.C_DecryptAsync(h, nodeBuffer().from(wrapped.subarray(HEADER_BYTES)), out);
          if (key.length !== keyBytes) throw refused();
          return new Uint8Array(key);
        } finally {
          wipe(out);
        }
      }, refused);
    },
    /**
     * Logs out (when no other provider of this process is logged in to the
     * token), closes the session, and finalises the library when no other
     * provider uses it. Waits for the calls already made; a later call
     * opens a new session.
     */
    close: () => serially(async () => forget()),
  };
}

/**
 * Creates the AES-256 key `key` inside the token, made there by
 * C_GenerateKey and never able to leave it (CKA_SENSITIVE, not
 * CKA_EXTRACTABLE, a token object behind the user PIN). Never replaces a
 * key: refuses with INVALID_ARGUMENT when a secret key with that label
 * exists. PKCS#11 cannot create-if-absent atomically, so the label is
 * looked up again after creating: if another process made one at the same
 * time, ours is destroyed and this call fails (two racing creators never
 * both succeed).
 * @param {Pkcs11Options} options
 * @returns {Promise<{ id: string }>} the id providers.pkcs11 will have for this key
 * @since 0.2.0
 */
export async function createPkcs11Key(options) {
  const o = checkOptions(options, 'createPkcs11Key');
  const id = `pkcs11:${o.token}/${o.key}`;
  const fail = failure(id);
  const exists = () => new EnveilError('INVALID_ARGUMENT', `createPkcs11Key: the token '${o.token}' already holds a key labelled '${o.key}'; enveil never replaces a key`);
  const s = await openSession(o, id, { readWrite: true });
  const { pk, library: { lib }, session } = s;
  try {
    /** @type {Handle} */
    let made;
    try {
      if (findKeys(s, o.key, false).length > 0) throw exists();
      made = await lib.C_GenerateKeyAsync(session, { mechanism: pk.CKM_AES_KEY_GEN }, [
        { type: pk.CKA_CLASS, value: pk.CKO_SECRET_KEY },
        { type: pk.CKA_KEY_TYPE, value: pk.CKK_AES },
        { type: pk.CKA_VALUE_LEN, value: AES_256_KEY_BYTES },
        { type: pk.CKA_LABEL, value: o.key },
        { type: pk.CKA_TOKEN, value: true },
        { type: pk.CKA_PRIVATE, value: true },
        { type: pk.CKA_SENSITIVE, value: true },
        { type: pk.CKA_EXTRACTABLE, value: false },
        { type: pk.CKA_ENCRYPT, value: true },
        { type: pk.CKA_DECRYPT, value: true },
        { type: pk.CKA_WRAP, value: false },
        { type: pk.CKA_UNWRAP, value: false },
        { type: pk.CKA_SIGN, value: false },
        { type: pk.CKA_VERIFY, value: false },
        { type: pk.CKA_DERIVE, value: false },
      ]);
    } catch (err) {
      throw err instanceof EnveilError ? err : fail('the token could not create the key', err);
    }
    let twins;
    try {
      twins = findKeys(s, o.key, false).length;
    } catch {
      twins = 2;
    }
    if (twins > 1) {
      quietly(() => lib.C_DestroyObject(session, made));
      throw exists();
    }
    return { id };
  } finally {
    closeSession(s);
  }
}
