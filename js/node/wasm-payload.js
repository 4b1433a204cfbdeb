// The WASM bytes of a payload module in Node: scripts/bundle-node.mjs puts
// this file in place of js/internal/wasm-payload.js in the Node bundle, and
// the payloads it bundles are the uncompressed ones (scripts/pack-wasm.mjs
// --node-raw), so this only decodes base64: loading and running node:zlib
// (or DecompressionStream, which first loads Node's web streams) would cost
// more of a cold start than the larger payload.

/**
 * @param {string} payload base64 of the WASM
 * @returns {Promise<Uint8Array>}
 */
export async function wasmBytes(payload) {
  return Buffer.from(payload, 'base64');
}
