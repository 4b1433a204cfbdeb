/**
 * Writes to a sink behind the caller, in order: seal and open hand a batch
 * to `write` and go on with the next one while this one is written.
 * @module
 */

/**
 * @param {import('./sink.js').Sink} sink
 */
export function writeBehind(sink) {
  /** @type {Promise<void>} */
  let tail = Promise.resolve();
  return {
    /**
     * Writes `bytes` after everything written before; resolves once they
     * are written, and the caller may then reuse them (not before). A
     * failed write fails every later one with the same error.
     * @param {Uint8Array} bytes
     * @returns {Promise<void>}
     */
    write(bytes) {
      const done = tail.then(() => sink.write(bytes));
      tail = done;
      // Awaited by the caller before reusing `bytes`, or by drain(); an
      // error path that awaits neither must not make it unhandled.
      done.catch(() => {});
      return done;
    },
    /** Resolves once everything is written; rejects with the first failure. */
    drain: () => tail,
    /** Resolves once no write is in flight, whatever their outcome. */
    settle: () => tail.then(() => {}, () => {}),
  };
}
