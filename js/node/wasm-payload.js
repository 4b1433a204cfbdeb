// The WASM bytes of a payload module (scripts/pack-wasm.mjs: zlib, base64)
// in Node, where package.json "imports" sends '#wasm-payload': Buffer's
// base64 and zlib's inflate (which checks the Adler-32) take well under a
// millisecond, where DecompressionStream first loads Node's web streams
// (tens of milliseconds of a cold start).
import { inflateSync } from 'node:zlib';

/**
 * @param {string} payload
 * @returns {Promise<Uint8Array>}
 */
export async function wasmBytes(payload) {
  return inflateSync(Buffer.from(payload, 'base64'));
}
