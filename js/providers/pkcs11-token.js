// The PKCS#11 side of providers.pkcs11 (pkcs11.js): loading pkcs11js on
// first use, the library shared by every provider of the process, options,
// sessions (open, log in, close), the PIN, finding and checking the key,
// and the GCM mechanism. Nothing here imports a node: module.
import { EnveilError } from '../errors.js';
import { unavailable } from './kek.js';


/**
 * The part of pkcs11js this file calls (typed here so that neither the
 * package's types nor its install are needed to check this file).
 * @typedef {Uint8Array & { toString(encoding: 'hex'): string }} NodeBytes a Node NodeBytes
 * @typedef {NodeBytes} Handle
 * @typedef {{ type: number, value?: number | boolean | string | NodeBytes }} Attribute
 * @typedef {{ mechanism: number, parameter?: { type: number, iv: NodeBytes, ivBits: number, aad?: NodeBytes, tagBits?: number } }} Mechanism
 * @typedef {{
 *   load(path: string): void, close(): void,
 *   C_Initialize(): void, C_Finalize(): void,
 *   C_GetSlotList(tokenPresent?: boolean): Handle[],
 *   C_GetTokenInfo(slot: Handle): { label: string },
 *   C_OpenSession(slot: Handle, flags: number): Handle,
 *   C_CloseSession(session: Handle): void,
 *   C_Login(session: Handle, userType: number, pin?: string): void,
 *   C_Logout(session: Handle): void,
 *   C_FindObjectsInit(session: Handle, template: Attribute[]): void,
 *   C_FindObjects(session: Handle, max: number): Handle[],
 *   C_FindObjectsFinal(session: Handle): void,
 *   C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): { type: number, value?: NodeBytes }[],
 *   C_GenerateRandom(session: Handle, buf: NodeBytes): NodeBytes,
 *   C_GenerateKeyAsync(session: Handle, mechanism: Mechanism, template: Attribute[]): Promise<Handle>,
 *   C_DestroyObject(session: Handle, object: Handle): void,
 *   C_EncryptInit(session: Handle, mechanism: Mechanism, key: Handle): void,
 *   C_EncryptAsync(session: Handle, data: NodeBytes, out: NodeBytes): Promise<NodeBytes>,
 *   C_DecryptInit(session: Handle, mechanism: Mechanism, key: Handle): void,
 *   C_DecryptAsync(session: Handle, data: NodeBytes, out: NodeBytes): Promise<NodeBytes>,
 * }} Pkcs11Lib
 * @typedef {Record<string, number> & { PKCS11: new () => Pkcs11Lib }} Pkcs11js
 */

/**
 * @typedef {object} Pkcs11Options
 * @property {string} module path of the token's PKCS#11 library (`/usr/lib/softhsm/libsofthsm2.so`)
 * @property {string} token the token's label (CKA_LABEL of the token, at most 32 bytes)
 * @property {string} key the label (CKA_LABEL) of the AES-256 secret key in that token
 * @property {string | (() => string | Promise<string>)} pin the user PIN, or a function
 *   returning it, asked once each time a session is opened (not per call)
 * @property {number} [slot] the slot id, when two tokens share a label
 */

export const FORMAT_VERSION = 0x01;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const HEADER_BYTES = 1 + IV_BYTES;
export const AES_256_KEY_BYTES = 32;
const TOKEN_LABEL_BYTES = 32;

/**
 * Node's Buffer, which pkcs11js takes: read from globalThis, since this
 * file is typed (and bundled) without Node's types.
 * @returns {{ alloc(size: number): NodeBytes, from(bytes: Uint8Array | ArrayBufferLike, offset?: number, length?: number): NodeBytes }}
 */
export const nodeBuffer = () => /** @type {any} */ (globalThis).Buffer;

/**
 * @param {string} id
 * @returns {(what: string, err?: unknown) => EnveilError} a KEY_UNAVAILABLE naming the key and the step
 */
export const failure = (id) => (what, err) => unavailable(`pkcs11 key '${id}': ${what}`, err);

const MISSING = 'providers.pkcs11 needs the pkcs11js package: npm install pkcs11js';

/** @type {Promise<Pkcs11js> | undefined} */
let loading;

/**
 * pkcs11js, imported once. The specifier is a variable so that bundlers
 * leave the import alone (the package is Node-only and optional).
 * @returns {Promise<Pkcs11js>}
 */
function loadPkcs11js() {
  loading ??= (async () => {
    const name = 'pkcs11js';
    try {
      const mod = await import(name);
      return /** @type {Pkcs11js} */ (mod.default ?? mod);
    } catch (err) {
      loading = undefined;
      const code = /** @type {{ code?: string }} */ (err)?.code;
      if (code === 'ERR_MODULE_NOT_FOUND' && String(/** @type {Error} */ (err).message).includes(`'${name}'`)) {
        throw new EnveilError('UNSUPPORTED', MISSING);
      }
      throw new EnveilError('UNSUPPORTED', 'providers.pkcs11: pkcs11js is installed but does not load (its native addon was not built for this Node)', { cause: err });
    }
  })();
  return loading;
}

/**
 * The libraries this copy of enveil has loaded, by path. C_Initialize and
 * C_Finalize are per process: every session counts as a user, and the last
 * one to go finalises (unless someone else in the process initialised it).
 * @typedef {{ path: string, lib: Pkcs11Lib, users: number, ownsInit: boolean, loggedIn: Map<string, number> }} Library
 * @type {Map<string, Library>}
 */
const libraries = new Map();

/**
 * @param {Pkcs11js} pk
 * @param {string} path
 * @returns {Library}
 */
function acquireLibrary(pk, path) {
  let entry = libraries.get(path);
  if (!entry) {
    const lib = new pk.PKCS11();
    lib.load(path);
    let ownsInit = true;
    try {
      lib.C_Initialize();
    } catch (err) {
      if (codeOf(err) !== pk.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        quietly(() => lib.close());
        throw err;
      }
      ownsInit = false;
    }
    entry = { path, lib, users: 0, ownsInit, loggedIn: new Map() };
    libraries.set(path, entry);
  }
  entry.users += 1;
  return entry;
}

/** @param {Library} entry */
function releaseLibrary(entry) {
  entry.users -= 1;
  if (entry.users > 0 || libraries.get(entry.path) !== entry) return;
  libraries.delete(entry.path);
  if (entry.ownsInit) quietly(() => entry.lib.C_Finalize());
  quietly(() => entry.lib.close());
}

/** @param {() => unknown} fn */
export function quietly(fn) {
  try {
    fn();
  } catch {
    // Tearing down a session or library that is already gone.
  }
}

/** @param {unknown} err @returns {number | undefined} the CKR_ value of a pkcs11js error */
export const codeOf = (err) => /** @type {{ code?: number }} */ (err)?.code;

/** @param {Uint8Array} handle a slot id as pkcs11js returns it (CK_ULONG, little-endian) */
function handleNumber(handle) {
  let n = 0n;
  for (let i = handle.length - 1; i >= 0; i -= 1) n = (n << 8n) | BigInt(handle[i]);
  return n;
}

/**
 * Checks the options both exports take.
 * @param {unknown} options
 * @param {string} fn
 * @returns {Pkcs11Options}
 */
export function checkOptions(options, fn) {
  const o = /** @type {Partial<Pkcs11Options>} */ (options ?? {});
  for (const name of /** @type {const} */ (['module', 'token', 'key'])) {
    if (typeof o[name] !== 'string' || o[name] === '') {
      throw new EnveilError('INVALID_ARGUMENT', `${fn}: options.${name} must be a non-empty string`);
    }
  }
  if (new TextEncoder().encode(o.token).length > TOKEN_LABEL_BYTES) {
    throw new EnveilError('INVALID_ARGUMENT', `${fn}: options.token must be at most ${TOKEN_LABEL_BYTES} bytes (a PKCS#11 token label)`);
  }
  if (typeof o.pin !== 'string' && typeof o.pin !== 'function') {
    throw new EnveilError('INVALID_ARGUMENT', `${fn}: options.pin must be a string or a function returning one`);
  }
  if (o.slot !== undefined && !(Number.isSafeInteger(o.slot) && o.slot >= 0)) {
    throw new EnveilError('INVALID_ARGUMENT', `${fn}: options.slot must be a slot id (a non-negative integer)`);
  }
  return /** @type {Pkcs11Options} */ (o);
}

/**
 * @typedef {{ pk: Pkcs11js, library: Library, session: Handle, slotKey: string }} Session
 */

/**
 * Opens a logged-in session on the token: loads the library, finds the
 * slot, asks for the PIN, logs in. Every failure is KEY_UNAVAILABLE with the
 * step in the message; the pkcs11js error (a CKR_ name and number and the
 * function's name, made from the return value, never from arguments: no
 * PIN) is kept as `cause`.
 * @param {Pkcs11Options} options
 * @param {string} id
 * @param {{ readWrite?: boolean, onPinRefused?: () => void }} [how]
 * @returns {Promise<Session>}
 */
export async function openSession(options, id, how = {}) {
  const pk = await loadPkcs11js();
  const fail = failure(id);
  /** @type {Library} */
  let library;
  try {
    library = acquireLibrary(pk, options.module);
  } catch (err) {
    throw fail(`cannot load the PKCS#11 module '${options.module}'`, err);
  }
  /** @type {Handle | undefined} */
  let session;
  let slotKey = '';
  let counted = false;
  try {
    const { lib } = library;
    /** @type {Handle[]} */
    let found;
    try {
      found = lib.C_GetSlotList(true).filter((slot) => lib.C_GetTokenInfo(slot).label.trimEnd() === options.token
        && (options.slot === undefined || handleNumber(slot) === BigInt(options.slot)));
    } catch (err) {
      throw fail('cannot list the tokens (was the token removed?)', err);
    }
    if (found.length === 0) throw fail(`no token labelled '${options.token}'${options.slot === undefined ? '' : ` in slot ${options.slot}`}`);
    if (found.length > 1) throw fail(`${found.length} tokens are labelled '${options.token}': pass options.slot`);
    const slot = found[0];
    slotKey = slot.toString('hex');
    const pin = await readPin(options.pin, fail);
    try {
      session = lib.C_OpenSession(slot, pk.CKF_SERIAL_SESSION | (how.readWrite ? pk.CKF_RW_SESSION : 0));
    } catch (err) {
      throw fail('cannot open a session on the token', err);
    }
    try {
      lib.C_Login(session, pk.CKU_USER, pin);
    } catch (err) {
      // Logins are per token and per process (PKCS#11 §5.6): another
      // session of this process already logged in.
      if (codeOf(err) !== pk.CKR_USER_ALREADY_LOGGED_IN) {
        if (codeOf(err) === pk.CKR_PIN_INCORRECT) {
          how.onPinRefused?.();
          throw fail('the token refused the PIN', err);
        }
        if (codeOf(err) === pk.CKR_PIN_LOCKED) throw fail("the token's user PIN is locked", err);
        throw fail('cannot log in to the token', err);
      }
    }
    library.loggedIn.set(slotKey, (library.loggedIn.get(slotKey) ?? 0) + 1);
    counted = true;
    return { pk, library, session, slotKey };
  } catch (err) {
    closeSession({ pk, library, session: /** @type {Handle} */ (session), slotKey }, counted);
    throw err;
  }
}

/**
 * Logs out when this is the process's last session on the token (a logout
 * ends the login of every session there), closes the session, and lets the
 * library go when it was the last user.
 * @param {Session} s
 * @param {boolean} [counted] whether the session was logged in
 */
export function closeSession({ library, session, slotKey }, counted = true) {
  if (session !== undefined) {
    if (counted) {
      const left = (library.loggedIn.get(slotKey) ?? 1) - 1;
      if (left === 0) {
        library.loggedIn.delete(slotKey);
        quietly(() => library.lib.C_Logout(session));
      } else {
        library.loggedIn.set(slotKey, left);
      }
    }
    quietly(() => library.lib.C_CloseSession(session));
  }
  releaseLibrary(library);
}

/**
 * @param {Pkcs11Options['pin']} pin
 * @param {(what: string, err?: unknown) => EnveilError} fail
 * @returns {Promise<string>}
 */
async function readPin(pin, fail) {
  if (typeof pin === 'string') return pin;
  /** @type {unknown} */
  let value;
  try {
    value = await pin();
  } catch (err) {
    // The app's own error, from its own function: kept as the cause.
    throw fail('the pin function failed', err);
  }
  if (typeof value !== 'string') throw fail('the pin function did not return a string');
  return value;
}

/**
 * The AES secret keys labelled `label` in the token.
 * @param {Session} s
 * @param {string} label
 * @param {boolean} aesOnly
 */
export function findKeys({ pk, library: { lib }, session }, label, aesOnly) {
  const template = [{ type: pk.CKA_CLASS, value: pk.CKO_SECRET_KEY }, { type: pk.CKA_LABEL, value: label }];
  if (aesOnly) template.push({ type: pk.CKA_KEY_TYPE, value: pk.CKK_AES });
  lib.C_FindObjectsInit(session, template);
  try {
    return lib.C_FindObjects(session, 2);
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}

/**
 * The key's handle, after checking that it is one key, AES-256, usable to
 * encrypt and decrypt, and that it cannot leave the token: CKA_SENSITIVE
 * true and CKA_EXTRACTABLE false. A key that could be read or wrapped out
 * is a key file with extra steps; such a key is refused rather than used
 * with a warning (the flags can only be tightened, so the fix is one
 * C_SetAttributeValue, or a new key from createPkcs11Key). Imported keys
 * (CKA_NEVER_EXTRACTABLE false) are accepted: putting one KEK in two HSMs
 * is a legitimate way to survive the loss of one.
 * @param {Session} s
 * @param {string} label
 * @param {(what: string, err?: unknown) => EnveilError} fail
 * @returns {Handle}
 */
export function usableKey(s, label, fail) {
  const { pk, library: { lib }, session } = s;
  const keys = findKeys(s, label, true);
  if (keys.length === 0) throw fail(`the token has no AES key labelled '${label}'`);
  if (keys.length > 1) throw fail(`the token has more than one AES key labelled '${label}'`);
  const [handle] = keys;
  const wanted = [pk.CKA_VALUE_LEN, pk.CKA_SENSITIVE, pk.CKA_EXTRACTABLE, pk.CKA_ENCRYPT, pk.CKA_DECRYPT];
  const values = new Map(lib.C_GetAttributeValue(session, handle, wanted.map((type) => ({ type })))
    .map(({ type, value }) => [type, value]));
  const flag = (/** @type {number} */ type) => values.get(type)?.[0] === 1;
  const length = values.get(pk.CKA_VALUE_LEN);
  if (!length || handleNumber(length) !== BigInt(AES_256_KEY_BYTES)) throw fail(`the key labelled '${label}' is not AES-256`);
  if (!flag(pk.CKA_SENSITIVE) || flag(pk.CKA_EXTRACTABLE)) {
    throw fail(`the key labelled '${label}' can leave the token (CKA_SENSITIVE false or CKA_EXTRACTABLE true): refused; make one with createPkcs11Key`);
  }
  if (!flag(pk.CKA_ENCRYPT) || !flag(pk.CKA_DECRYPT)) throw fail(`the key labelled '${label}' is not allowed to encrypt and decrypt`);
  return handle;
}

/**
 * @param {Pkcs11js} pk
 * @param {NodeBytes} iv
 * @param {NodeBytes} aad
 * @returns {Mechanism}
 */
export const gcm = (pk, iv, aad) => ({
  mechanism: pk.CKM_AES_GCM,
  parameter: { type: pk.CK_PARAMS_AES_GCM, iv, ivBits: IV_BYTES * 8, aad, tagBits: TAG_BYTES * 8 },
});

/** @param {Uint8Array} bytes a view over the same memory, as pkcs11js takes it */
export const asBuffer = (bytes) => nodeBuffer().from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Return values meaning the session, the login or the key handle is gone
 * (the token was removed or re-inserted, the library was finalised by
 * someone else, the session was closed): the call is retried once on a new
 * session.
 * @param {Pkcs11js} pk
 */
export const staleCodes = (pk) => new Set([
  pk.CKR_SESSION_HANDLE_INVALID, pk.CKR_SESSION_CLOSED, pk.CKR_USER_NOT_LOGGED_IN,
  pk.CKR_TOKEN_NOT_PRESENT, pk.CKR_TOKEN_NOT_RECOGNIZED, pk.CKR_DEVICE_REMOVED, pk.CKR_DEVICE_ERROR,
  pk.CKR_OBJECT_HANDLE_INVALID, pk.CKR_KEY_HANDLE_INVALID, pk.CKR_OPERATION_ACTIVE,
  pk.CKR_CRYPTOKI_NOT_INITIALIZED, pk.CKR_SLOT_ID_INVALID,
]);
