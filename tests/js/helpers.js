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
