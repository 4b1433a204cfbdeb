// Event subscriptions for the store and the vault.
import { EnveilError } from '../errors.js';

export class Listeners {
  /** @type {Map<string, Set<(payload: any) => void>>} */
  #byEvent = new Map();

  /**
   * @param {string} event
   * @param {(payload: any) => void} fn
   * @returns {() => void} unsubscribe
   */
  on(event, fn) {
    if (typeof fn !== 'function') throw new EnveilError('INVALID_ARGUMENT', 'listener must be a function');
    if (!this.#byEvent.has(event)) this.#byEvent.set(event, new Set());
    /** @type {Set<(payload: any) => void>} */ (this.#byEvent.get(event)).add(fn);
    return () => {
      this.#byEvent.get(event)?.delete(fn);
    };
  }

  /** Calls every listener of `event`; a listener's failure is its own. @param {string} event @param {any} payload */
  emit(event, payload) {
    for (const fn of this.#byEvent.get(event) ?? []) {
      try {
        fn(payload);
      } catch {
        // not the emitter's to handle
      }
    }
  }
}
