// The store's and the vault's code is loaded when it is first needed, not
// when the package is imported (issue 20, cold start): importing enveil and
// init() do not pay for code an app may not use yet. In Node the bundle in
// dist/node/ keeps it in a chunk of its own; a browser bundler makes a chunk
// of it or inlines it.
import { EnveilError } from '../errors.js';

/** @type {Promise<typeof import('./open-code.js')> | null} */
let loading = null;

/**
 * Imports open-code.js on the first call; later calls return the same
 * promise. An import that fails (a chunk the network did not deliver)
 * rejects with UNSUPPORTED, the engine's error as its cause, and stays
 * failed: engines keep a module that failed to load failed, so trying again
 * would not help.
 * @returns {Promise<typeof import('./open-code.js')>}
 */
export function loadOpenCode() {
  loading ??= import('./open-code.js').catch((err) => {
    throw new EnveilError('UNSUPPORTED', 'the enveil store code could not be loaded', { cause: err });
  });
  return loading;
}
