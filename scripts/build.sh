#!/usr/bin/env bash
# npm run build: compiles the C++ core and BearSSL with Emscripten twice, the
# baseline build (build/wasm) and the SIMD build (build/wasm-simd, every file
# with -msimd128), then packs them into what dist/ ships
# (scripts/pack-wasm.mjs): dist/enveil.wasm.js, the JS glue, once;
# dist/enveil-baseline.wasm.js and dist/enveil-simd.wasm.js, the two WASM
# payloads. init() picks one. Then the Node bundle (dist/node/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
ensure_packages wasm
jobs=$(nproc)
emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release \
  -DENVEIL_WASM_SIMD=OFF -DENVEIL_DIST_DIR="$PWD/build/wasm/out" >/dev/null
cmake --build build/wasm -j"$jobs"
emcmake cmake -S . -B build/wasm-simd -DCMAKE_BUILD_TYPE=Release \
  -DENVEIL_WASM_SIMD=ON -DENVEIL_DIST_DIR="$PWD/build/wasm-simd/out" >/dev/null
cmake --build build/wasm-simd -j"$jobs"
[ -x node_modules/.bin/esbuild ] || { echo "enveil: run npm ci first (the Node bundle needs esbuild)" >&2; exit 1; }
node scripts/pack-wasm.mjs --node-raw build/node-payload dist build/wasm/out/enveil.wasm.js build/wasm-simd/out/enveil.wasm.js
node scripts/bundle-node.mjs
