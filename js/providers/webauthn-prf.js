/**
 * A passkey as the store's master key, in browsers without a native key
 * store: the WebAuthn PRF extension (the authenticator's CTAP2 hmac-secret)
 * gives, for one credential and one salt, 32 bytes that only that
 * authenticator can compute, after user verification. Each wrap and unwrap
 * asks for them once (one ceremony per provider call; the store makes one
 * call per unlock), derives a non-extractable AES-256-GCM key with HKDF, and
 * forgets both: no file and no database holds the key.
 *
 * Derivation (fixed, so that a wrapped key stays readable):
 *   salt   = SHA-256("enveil/v1/webauthn-prf") unless `salt` is given; the
 *            browser hashes it again ("WebAuthn PRF" ‖ 0x00 ‖ salt) before
 *            the authenticator sees it
 *   prf    = getClientExtensionResults().prf.results.first (32 bytes), with
 *            userVerification 'required' every time (the authenticator keeps
 *            a different PRF for presence-only assertions)
 *   kek    = HKDF-SHA-256(ikm = prf, salt = empty,
 *                         info = labelled("enveil/v1/webauthn-prf/kek", credentialId))
 *            → AES-256-GCM CryptoKey, extractable: false; prf wiped after import
 * Wrapped key blob (WRAP_VERSION 1):
 *   version (1 byte, 0x01) ‖ IV (12 bytes, random) ‖ ciphertext ‖ tag (16 bytes),
 *   additionalData = the store's context.
 *
 * Nothing here runs at import: the module loads (unused) in Node.
 * @module
 */
import { EnveilError } from '../errors.js';
import { labelled, toBase64 } from '../internal/encoding.js';
import { exclusively, unavailable } from './kek.js';

/** @typedef {import('./definitions.js').KeyProvider} KeyProvider */

/** Version byte leading every blob this provider wraps. */
export const WRAP_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The PRF's output size (WebAuthn: 32-byte ArrayBuffers). */
const PRF_BYTES = 32;
const SALT_LABEL = 'enveil/v1/webauthn-prf';
const HKDF_LABEL = 'enveil/v1/webauthn-prf/kek';
/** Browsers allow one WebAuthn request at a time: ceremonies queue here (and across tabs). */
const CEREMONY = 'webauthn-prf';
const FALLBACK = 'use providers.webCrypto() on this device instead';

const encoder = new TextEncoder();

/**
 * The browser's WebAuthn pieces, or UNSUPPORTED naming what is missing.
 * @param {string} what
 * @param {CredentialsContainer | undefined} credentials
 * @param {SubtleCrypto | undefined} subtle
 */
function webAuthnArgs(what, credentials, subtle) {
  if (typeof globalThis.PublicKeyCredential !== 'function' || !credentials || typeof credentials.get !== 'function') {
    throw new EnveilError('UNSUPPORTED', `${what}: WebAuthn is not available here (a browser page in a secure context is needed: https or localhost); ${FALLBACK}`);
  }
  if (!subtle) throw new EnveilError('UNSUPPORTED', `${what}: crypto.subtle is not available (secure context needed)`);
  return { credentials, subtle };
}

/** @param {Uint8Array} bytes */
function toBase64Url(bytes) {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * @param {unknown} text
 * @param {string} name
 * @returns {Uint8Array}
 */
function base64UrlArg(text, name) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be a base64url string (createPasskey()'s credentialId)`);
  }
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** @param {unknown} value @param {string} name */
function textArg(value, name) {
  if (typeof value !== 'string' || value.length === 0) throw new EnveilError('INVALID_ARGUMENT', `${name} must be a non-empty string`);
  return value;
}

/** @param {unknown} value @param {string} name */
function optionalTextArg(value, name) {
  return value === undefined ? undefined : textArg(value, name);
}

/** @param {unknown} value @param {string} name */
function timeoutArg(value, name) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new EnveilError('INVALID_ARGUMENT', `${name} must be a positive whole number of milliseconds`);
  return value;
}

/** @param {unknown} value @param {string} name @returns {Uint8Array | undefined} */
function optionalBytesArg(value, name) {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array) || value.length === 0) throw new EnveilError('INVALID_ARGUMENT', `${name} must be a non-empty Uint8Array`);
  return value.slice();
}

/** @param {number} n */
const random = (n) => crypto.getRandomValues(new Uint8Array(n));

/**
 * Bytes as WebCrypto and WebAuthn take them. Only the type changes: a view
 * of a SharedArrayBuffer is refused by the browser itself (TypeError).
 * @param {Uint8Array} bytes
 */
const bufferSource = (bytes) => /** @type {Uint8Array<ArrayBuffer>} */ (bytes);

/**
 * A WebAuthn rejection as an EnveilError: the user's "no" (NotAllowedError:
 * cancelled, timed out, no such passkey here) is KEY_UNAVAILABLE; an origin
 * that cannot use the rpId (SecurityError: an IP address, another domain) is
 * UNSUPPORTED.
 * @param {unknown} err
 * @param {string} what
 */
function ceremonyError(err, what) {
  const name = /** @type {{ name?: string }} */ (err)?.name;
  if (name === 'SecurityError') {
    return new EnveilError('UNSUPPORTED', `${what}: this page cannot use WebAuthn for its rpId (a domain name is needed, not an IP address, on https or localhost)`, { cause: err });
  }
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return unavailable(`${what}: the passkey was not used (cancelled, timed out, or not on this device)`, err);
  }
  return unavailable(`${what} failed${name ? ` (${name})` : ''}`, err);
}

/**
 * Creates a passkey (a WebAuthn credential with the PRF extension) for the
 * store's master key. Keep the `credentialId` it returns (localStorage is
 * fine: it is not a secret) and pass it to {@link webAuthnPrf}. One
 * ceremony; the challenge is random and never checked by a server: the
 * credential is a key holder, not a login.
 * @since 0.1.0
 * @param {{
 *   rpName: string, userName: string, userDisplayName?: string, userId?: Uint8Array, rpId?: string,
 *   authenticatorAttachment?: AuthenticatorAttachment, timeout?: number, credentials?: CredentialsContainer,
 * }} options
 *   rpId: @default the page's host; userId: @default 16 random bytes;
 *   userDisplayName: @default userName; timeout in ms: @default the browser's
 * @returns {Promise<{ credentialId: string }>} credentialId: base64url of the raw id
 * @throws EnveilError UNSUPPORTED without WebAuthn, for an origin that cannot
 *   use the rpId, and when the authenticator does not enable PRF (then use
 *   providers.webCrypto()); KEY_UNAVAILABLE when the user cancels.
 */
export async function createPasskey(options) {
  if (!options || typeof options !== 'object') throw new EnveilError('INVALID_ARGUMENT', 'createPasskey options must be an object');
  const rpName = textArg(options.rpName, 'rpName');
  const userName = textArg(options.userName, 'userName');
  const userDisplayName = optionalTextArg(options.userDisplayName, 'userDisplayName') ?? userName;
  const rpId = optionalTextArg(options.rpId, 'rpId');
  const timeout = timeoutArg(options.timeout, 'timeout');
  const userId = optionalBytesArg(options.userId, 'userId') ?? random(16);
  const { credentials } = webAuthnArgs('createPasskey', options.credentials ?? globalThis.navigator?.credentials, globalThis.crypto?.subtle);
  /** @type {PublicKeyCredentialCreationOptions} */
  const publicKey = {
    rp: { name: rpName, ...(rpId ? { id: rpId } : {}) },
    user: { id: bufferSource(userId), name: userName, displayName: userDisplayName },
    challenge: random(32),
    // ES256, EdDSA, RS256: what platform authenticators and security keys offer.
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }, { type: 'public-key', alg: -257 }],
    authenticatorSelection: {
      residentKey: 'preferred',
      userVerification: 'required',
      ...(options.authenticatorAttachment ? { authenticatorAttachment: options.authenticatorAttachment } : {}),
    },
    ...(timeout ? { timeout } : {}),
    extensions: { prf: {} },
  };
  const credential = await exclusively(CEREMONY, () => credentials.create({ publicKey }))
    .catch((err) => { throw ceremonyError(err, 'createPasskey'); });
  const created = /** @type {PublicKeyCredential | null} */ (credential);
  if (!created || !(created.rawId instanceof ArrayBuffer)) throw unavailable('createPasskey: the browser returned no credential');
  // Some authenticators only evaluate the PRF at get(), but every one that
  // has it says `enabled` at create(); without it the passkey is useless here.
  if (created.getClientExtensionResults().prf?.enabled !== true) {
    throw new EnveilError('UNSUPPORTED', `createPasskey: this authenticator does not support the PRF extension; ${FALLBACK}`);
  }
  return { credentialId: toBase64Url(new Uint8Array(created.rawId)) };
}

/**
 * The store's master key from a passkey (WebAuthn PRF): each wrapKey and
 * unwrapKey asks the authenticator once, with user verification, for the
 * PRF output of a fixed salt, and derives a non-extractable AES-256-GCM key
 * from it with HKDF (the derivation and the blob format are at the top of
 * this file).
 * @since 0.1.0
 * @param {{
 *   credentialId: string, rpId?: string, salt?: Uint8Array, name?: string, timeout?: number,
 *   credentials?: CredentialsContainer, subtle?: SubtleCrypto,
 * }} options
 *   credentialId: from createPasskey(); rpId: @default the page's host;
 *   salt: @default SHA-256("enveil/v1/webauthn-prf") (another salt is another key);
 *   name: the provider id is `webauthn-prf:<name>` (@default the credential id);
 *   timeout in ms for each ceremony: @default the browser's
 * @returns {KeyProvider}
 * @throws EnveilError UNSUPPORTED without WebAuthn (not a secure context);
 *   INVALID_ARGUMENT for a malformed option. Its calls reject with
 *   KEY_UNAVAILABLE when the user cancels, the passkey is not on this device
 *   or does not unwrap this key, or the authenticator returns no PRF output
 *   (the message says to fall back to providers.webCrypto()).
 */
export function webAuthnPrf(options) {
  if (!options || typeof options !== 'object') throw new EnveilError('INVALID_ARGUMENT', 'webAuthnPrf options must be an object');
  const credentialId = /** @type {string} */ (options.credentialId);
  const rawId = base64UrlArg(credentialId, 'credentialId');
  const rpId = optionalTextArg(options.rpId, 'rpId');
  const name = optionalTextArg(options.name, 'name') ?? credentialId;
  const timeout = timeoutArg(options.timeout, 'timeout');
  const customSalt = optionalBytesArg(options.salt, 'salt');
  const { credentials, subtle } = webAuthnArgs('webAuthnPrf provider', options.credentials ?? globalThis.navigator?.credentials, options.subtle ?? globalThis.crypto?.subtle);
  const id = `webauthn-prf:${name}`;
  /** @type {Promise<Uint8Array> | undefined} */
  let defaultSalt;
  const salt = () => customSalt ?? (defaultSalt ??= subtle.digest('SHA-256', encoder.encode(SALT_LABEL)).then((d) => new Uint8Array(d)));
  const info = labelled(HKDF_LABEL, credentialId);

  /**
   * One ceremony: the PRF output for the salt, turned into the KEK.
   * @returns {Promise<CryptoKey>}
   */
  async function deriveKek() {
    /** @type {PublicKeyCredentialRequestOptions} */
    const publicKey = {
      challenge: random(32),
      allowCredentials: [{ type: 'public-key', id: bufferSource(rawId) }],
      userVerification: 'required',
      ...(rpId ? { rpId } : {}),
      ...(timeout ? { timeout } : {}),
      extensions: { prf: { eval: { first: bufferSource(await salt()) } } },
    };
    const assertion = /** @type {PublicKeyCredential | null} */ (await exclusively(CEREMONY, () => credentials.get({ publicKey }))
      .catch((err) => { throw ceremonyError(err, `key provider '${id}'`); }));
    const first = assertion?.getClientExtensionResults?.().prf?.results?.first;
    const prf = first instanceof ArrayBuffer ? new Uint8Array(first) : ArrayBuffer.isView(first) ? new Uint8Array(first.buffer, first.byteOffset, first.byteLength) : undefined;
    if (!prf || prf.length !== PRF_BYTES) {
      if (prf) prf.fill(0);
      throw unavailable(`key provider '${id}': the authenticator returned no PRF output (it lacks the WebAuthn PRF extension); ${FALLBACK}`);
    }
    try {
      const ikm = await subtle.importKey('raw', prf, 'HKDF', false, ['deriveKey']);
      return await subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: bufferSource(info) }, ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    } finally {
      prf.fill(0);
    }
  }

  return {
    id,
    async wrapKey(key, context) {
      const kek = await deriveKek();
      const iv = random(IV_BYTES);
      const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: bufferSource(context) }, kek, bufferSource(key)));
      const out = new Uint8Array(1 + IV_BYTES + sealed.length);
      out[0] = WRAP_VERSION;
      out.set(iv, 1);
      out.set(sealed, 1 + IV_BYTES);
      return out;
    },
    async unwrapKey(wrapped, context) {
      // Checked before the ceremony: a blob that cannot be ours costs the user no prompt.
      if (!(wrapped instanceof Uint8Array) || wrapped.length < 1 + IV_BYTES + TAG_BYTES || wrapped[0] !== WRAP_VERSION) {
        throw unavailable(`key provider '${id}': this is not a key it wrapped (unknown format)`);
      }
      const kek = await deriveKek();
      try {
        const iv = bufferSource(wrapped.subarray(1, 1 + IV_BYTES));
        return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: bufferSource(context) }, kek, bufferSource(wrapped.subarray(1 + IV_BYTES))));
      } catch (err) {
        throw unavailable(`key provider '${id}' cannot unwrap this key (another passkey or salt wrapped it, or the data was edited)`, err);
      }
    },
  };
}

/**
 * Whether a passkey with PRF can probably be used here: a hint for showing
 * the option, never a promise (the authenticator the user picks decides; a
 * security key may lack PRF). From PublicKeyCredential.getClientCapabilities()
 * where the browser has it (the PRF extension, and a platform authenticator
 * or phone-as-authenticator), else isUserVerifyingPlatformAuthenticatorAvailable().
 * False without WebAuthn, outside a secure context, and on a page served from
 * an IP address without `rpId` (WebAuthn needs a domain name).
 * @since 0.1.0
 * @param {{ rpId?: string }} [options]
 * @returns {Promise<boolean>}
 */
export async function webAuthnPrfSupported(options = {}) {
  const PKC = /** @type {any} */ (globalThis.PublicKeyCredential);
  if (typeof PKC !== 'function' || !globalThis.navigator?.credentials || globalThis.isSecureContext === false) return false;
  const host = globalThis.location?.hostname ?? '';
  if (!options.rpId && (/^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('['))) return false;
  try {
    if (typeof PKC.getClientCapabilities === 'function') {
      const caps = await PKC.getClientCapabilities();
      return caps?.['extension:prf'] === true
        && (caps.userVerifyingPlatformAuthenticator === true || caps.passkeyPlatformAuthenticator === true || caps.hybridTransport === true);
    }
    if (typeof PKC.isUserVerifyingPlatformAuthenticatorAvailable === 'function') {
      return (await PKC.isUserVerifyingPlatformAuthenticatorAvailable()) === true;
    }
  } catch {
    // A browser that throws here cannot be relied on either.
  }
  return false;
}
