import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { EnveilError } from '../../js/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WYCHEPROOF_DIR =
  process.env.ENVEIL_WYCHEPROOF_DIR ?? path.resolve(here, '../../../shared/vectors/wycheproof');

/** Parses a Wycheproof file; throws (failing the test) when it is missing. */
export function loadWycheproof(name) {
  return JSON.parse(readFileSync(path.join(WYCHEPROOF_DIR, name), 'utf8'));
}

export const hex = (s) => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b) => Buffer.from(b).toString('hex');
export const utf8 = (s) => new TextEncoder().encode(s);
export const text = (b) => new TextDecoder().decode(b);

/**
 * The EnveilError code a promise rejects with, or 'OK'. Awaits the promise
 * at once, so its rejection is never reported as unhandled.
 */
export async function rejectionCode(promise) {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof EnveilError)) throw new Error(`not an EnveilError: ${err?.stack ?? err}`);
    return err.code;
  }
  return 'OK';
}

/**
 * Makes this process look like a Capacitor app on `platform` to the
 * adapters over Capacitor plugins, which read the global `Capacitor` that
 * @capacitor/core installs (getPlatform, Plugins, isPluginAvailable).
 * `plugins` are registered under their names, as registerPlugin() does.
 * Returns the function that puts the previous global back.
 * @param {string} platform
 * @param {Record<string, unknown>} [plugins]
 */
export function capacitorPlatform(platform, plugins = {}) {
  const had = Object.prototype.hasOwnProperty.call(globalThis, 'Capacitor');
  const before = globalThis.Capacitor;
  globalThis.Capacitor = {
    getPlatform: () => platform,
    isPluginAvailable: (name) => name in plugins,
    Plugins: { ...plugins },
  };
  return () => {
    if (had) globalThis.Capacitor = before;
    else delete globalThis.Capacitor;
  };
}
