// A payload module's text (scripts/pack-wasm.mjs: zlib, base64) to WASM
// bytes in Node, for the js/ sources run directly (the command line):
// Buffer's base64 and node:zlib's inflate, which checks the Adler-32, in a
// few milliseconds; the browsers' DecompressionStream would first load
// Node's web streams (40-70 ms of every command). js/cli/main.js sets it.
import { inflateSync } from 'node:zlib';

/**
 * @param {string} payload
 * @returns {Promise<Uint8Array>}
 */
export async function inflatePayload(payload) {
  return inflateSync(Buffer.from(payload, 'base64'));
}
