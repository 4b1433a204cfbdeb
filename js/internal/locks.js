// The named locks of a store, shared by every instance of it in this page
// and, where Web Locks exist, across tabs and workers:
// - the rotation lock (one key rotation at a time): refused at once when held;
// - the refresh lock of a token vault session (one refresh at a time): waited for.
import { EnveilError } from '../errors.js';

/** Rotation locks held in this page (also where Web Locks exist, so two instances in one page are refused without them). */
const held = new Set();
/** @type {Map<string, Promise<unknown>>} the tail of each refresh lock's queue in this page */
const queues = new Map();

/** navigator.locks, where the platform has Web Locks. */
function webLocks() {
  const locks = /** @type {any} */ (globalThis.navigator)?.locks;
  return locks?.request ? locks : null;
}

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
    const locks = webLocks();
    if (!locks) return await fn();
    return await locks.request(lockName, { ifAvailable: true }, async (/** @type {unknown} */ lock) => {
      if (!lock) throw busy(name);
      return fn();
    });
  } finally {
    held.delete(lockName);
  }
}

/**
 * Runs `fn` once every earlier holder of refresh lock `name` is done: a
 * promise chain within this page, and Web Locks across tabs where present.
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export function withRefreshLock(name, fn) {
  const locks = webLocks();
  const run = locks ? () => locks.request(`enveil:${name}:refresh`, fn) : fn;
  const previous = queues.get(name) ?? Promise.resolve();
  const next = previous.then(run, run);
  const settled = next.then(() => {}, () => {});
  queues.set(name, settled);
  settled.then(() => {
    if (queues.get(name) === settled) queues.delete(name);
  });
  return next;
}

/** @param {string} name */
function busy(name) {
  return new EnveilError('ROTATION_IN_PROGRESS', `a key rotation of store '${name}' is already running`);
}
