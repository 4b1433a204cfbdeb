// One rotation at a time per store: Web Locks across tabs and workers where
// present, an in-process set of held names otherwise (and in addition, so
// two instances in one page are refused even without Web Locks).
import { EnveilError } from '../errors.js';

/** @type {Set<string>} */
const held = new Set();

/**
 * Runs `fn` holding the rotation lock of store `name`, or throws
 * ROTATION_IN_PROGRESS at once if another holder has it.
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withRotationLock(name, fn) {
  const lockName = `enveil:${name}:rotation`;
  if (held.has(lockName)) throw busy(name);
  held.add(lockName);
  try {
    const locks = /** @type {any} */ (globalThis.navigator)?.locks;
    if (!locks?.request) return await fn();
    return await locks.request(lockName, { ifAvailable: true }, async (/** @type {unknown} */ lock) => {
      if (!lock) throw busy(name);
      return fn();
    });
  } finally {
    held.delete(lockName);
  }
}

/** @param {string} name */
function busy(name) {
  return new EnveilError('ROTATION_IN_PROGRESS', `a key rotation of store '${name}' is already running`);
}
