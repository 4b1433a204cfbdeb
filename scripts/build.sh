#!/usr/bin/env bash
# npm run build: compiles the C++ core and BearSSL with Emscripten into
# dist/enveil.wasm.js (an ES module with the WASM embedded).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
ensure_packages wasm
emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/wasm -j"$(nproc)"
wasm_bytes=$(wc -c < dist/enveil.wasm.js)
gzip_bytes=$(gzip -9c dist/enveil.wasm.js | wc -c)
echo "built dist/enveil.wasm.js: $wasm_bytes bytes, $gzip_bytes gzipped"
[ -x node_modules/.bin/esbuild ] || { echo "enveil: run npm ci first (the Node bundle needs esbuild)" >&2; exit 1; }
node scripts/bundle-node.mjs
