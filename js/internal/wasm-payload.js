// The WASM bytes of a payload module (scripts/pack-wasm.mjs: zlib, base64),
// in browsers and webviews: the engine's DecompressionStream, which checks
// the stream's Adler-32, or fflate where there is none (iOS before 16.4,
// Chrome before 80), loaded only there. The Node bundle (dist/node, the
// package's "node" entry) has js/node/wasm-payload.js in its place
// (scripts/bundle-node.mjs).

/**
 * @param {string} payload
 * @returns {Promise<Uint8Array>}
 */
export async function wasmBytes(payload) {
  const binary = atob(payload);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (typeof DecompressionStream === 'function') {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  const { unzlibSync } = await import('fflate');
  return unzlibSync(bytes);
}
