// The WASM bytes of a payload module (scripts/pack-wasm.mjs: zlib, base64)
// in Node: scripts/bundle-node.mjs puts this file in place of
// js/internal/wasm-payload.js in the Node bundle. Buffer's base64 and zlib's
// inflate (which checks the Adler-32) take a few milliseconds with zlib's
// loading, where DecompressionStream first loads Node's web streams (tens of
// milliseconds of a cold start). zlib loads in init(), not at import.

/**
 * @param {string} payload
 * @returns {Promise<Uint8Array>}
 */
export async function wasmBytes(payload) {
  const { inflateSync } = await import('node:zlib');
  return inflateSync(Buffer.from(payload, 'base64'));
}
