// The lifecycle of an Embind object that holds keys in WASM memory (an HMAC
// key, a keyring), owned by one JS object: destroy() wipes and frees it at
// once, a finaliser does so if the owner is dropped without destroy(), and
// after destroy() every use throws LOCKED.
import { EnveilError } from '../errors.js';

/**
 * @typedef {object} Wipeable
 * @property {() => void} destroy wipes the keys it holds (C++ side)
 * @property {() => void} delete frees the Embind object
 */

/** Wipes and frees the handles of owners dropped without destroy(). */
const finalizer = new FinalizationRegistry((/** @type {Wipeable} */ handle) => {
  handle.destroy();
  handle.delete();
});

/**
 * A new handle of Embind class `Handle`, prepared by `setUp` (which loads its
 * keys); freed again if setUp throws, so a failed construction leaks nothing.
 * @template {Wipeable} H
 * @param {new () => H} Handle
 * @param {(handle: H) => void} setUp
 * @returns {H}
 */
export function newHandle(Handle, setUp) {
  const handle = new Handle();
  try {
    setUp(handle);
  } catch (err) {
    handle.delete();
    throw err;
  }
  return handle;
}

/** @template {Wipeable} H */
export class WasmHandle {
  /** @type {H | null} */
  #handle;
  #lockedMessage;

  /**
   * @param {object} owner the object whose collection releases the handle
   *   (the handle must not reference it)
   * @param {H} handle
   * @param {string} lockedMessage the LOCKED message once destroyed
   */
  constructor(owner, handle, lockedMessage) {
    this.#handle = handle;
    this.#lockedMessage = lockedMessage;
    finalizer.register(owner, handle, this);
  }

  /** The handle; throws LOCKED after destroy(). @returns {H} */
  live() {
    if (this.#handle === null) throw new EnveilError('LOCKED', this.#lockedMessage);
    return this.#handle;
  }

  /** Wipes the keys and frees the handle now. Idempotent. */
  destroy() {
    if (this.#handle === null) return;
    finalizer.unregister(this);
    this.#handle.destroy();
    this.#handle.delete();
    this.#handle = null;
  }

  get destroyed() {
    return this.#handle === null;
  }
}
