// What every provider that holds a raw KEK shares: wrapping in WASM, the
// KEY_UNAVAILABLE error, and running one KEK creation at a time.
import { EnveilError } from '../errors.js';
import { init } from '../internal/wasm.js';
import { wipe } from '../internal/encoding.js';
import { unwrapKey, wrapKey } from '../hazmat.js';

/** @typedef {import('./definitions.js').KeyProvider} KeyProvider */

/** @param {string} what @param {unknown} [cause] */
export const unavailable = (what, cause) => new EnveilError('KEY_UNAVAILABLE', what, cause === undefined ? undefined : { cause });

/** @type {Map<string, Promise<unknown>>} the last task queued under each name */
const queued = new Map();

/**
 * Runs `task` alone for `name`: after the tasks already queued under that
 * name in this copy of enveil and, where the page has Web Locks, holding the
 * lock `enveil:<name>`, which other tabs and other bundled copies of enveil
 * (each with its own queue) wait for too.
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
export function exclusively(name, task) {
  const run = (queued.get(name) ?? Promise.resolve()).then(() => withWebLock(`enveil:${name}`, task));
  const settled = run.then(() => {}, () => {});
  queued.set(name, settled);
  settled.then(() => {
    if (queued.get(name) === settled) queued.delete(name);
  });
  return run;
}

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
async function withWebLock(name, task) {
  const locks = /** @type {{ locks?: LockManager } | undefined} */ (globalThis.navigator)?.locks;
  if (typeof locks?.request !== 'function') return task();
  let started = false;
  try {
    return await locks.request(name, () => {
      started = true;
      return task();
    });
  } catch (err) {
    if (started) throw err;
    // Refused before it ran (SecurityError in an opaque origin or a
    // sandboxed frame): the in-process queue still holds.
    return task();
  }
}

/**
 * Wraps with a raw 32-byte KEK in WASM (record format v1, context as AAD).
 * @param {() => Promise<Uint8Array>} getKek
 * @param {string} id
 * @returns {KeyProvider}
 */
export function kekProvider(id, getKek, createKek = getKek) {
  return {
    id,
    async wrapKey(key, context) {
      await init();
      const kek = await createKek();
      try {
        return wrapKey(kek, key, context);
      } finally {
        wipe(kek);
      }
    },
    async unwrapKey(wrapped, context) {
      await init();
      const kek = await getKek();
      try {
        return unwrapKey(kek, wrapped, context);
      } catch (err) {
        throw unavailable(`key provider '${id}' cannot unwrap this key (its key changed or the data was edited)`, err);
      } finally {
        wipe(kek);
      }
    },
  };
}

