// Resolve hook: dist/enveil.wasm.js → build/dist-asan/enveil.wasm.js.
const asan = new URL('../../build/dist-asan/enveil.wasm.js', import.meta.url).href;

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  return resolved.url.endsWith('/dist/enveil.wasm.js') ? { ...resolved, url: asan } : resolved;
}
