import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

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

/** The EnveilError code a promise rejects with, or 'OK'. */
export async function rejectionCode(promise) {
  const { EnveilError } = await import('../../js/index.js');
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof EnveilError)) throw new Error(`not an EnveilError: ${err?.stack ?? err}`);
    return err.code;
  }
  return 'OK';
}
