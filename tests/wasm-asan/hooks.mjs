// Resolve hook: the shipped glue and payloads in dist/ → the build compiled
// with -fsanitize=address, packed by scripts/pack-wasm.mjs into
// build/dist-asan/packed/ (one payload: the baseline build with ASan; either
// payload import gets it, and register.mjs makes init() pick the baseline).
const packed = new URL('../../build/dist-asan/packed/', import.meta.url);
const glue = new URL('enveil.wasm.js', packed).href;
const payload = new URL('enveil-baseline.wasm.js', packed).href;

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.endsWith('/dist/enveil.wasm.js')) return { ...resolved, url: glue };
  if (resolved.url.endsWith('/dist/enveil-baseline.wasm.js') || resolved.url.endsWith('/dist/enveil-simd.wasm.js')) {
    return { ...resolved, url: payload };
  }
  return resolved;
}
