#!/usr/bin/env bash
# npm test: every test, from nothing. Installs missing Debian packages (as
# root) or says what to install, then runs:
#   1. native GoogleTest suite (CTest), Release build
#   2. the same suite under ASan + UBSan
#   2b. the libFuzzer targets for 60 s in all (npm run fuzz -- SECONDS)
#   3. the constant-time check (npm run test:ct on its own)
#   3b. the WASM builds (baseline and SIMD), a type check of the shipped .d.ts
#      and the JS JSDoc, and the JS suite (node --test) on each build
#   4. the JS suite again on a WASM build with -fsanitize=address (baseline)
#   4b. the compatibility floor (npm run test:compat on its own): a static
#      check of js/ and the glue (eslint), the package in WPE WebKit 2.38,
#      and in Chromium and WebKitGTK with the newer APIs deleted
#   5. the demo bundled with esbuild and driven end to end in Debian's
#      Chromium with playwright-core (npm run test:e2e on its own)
#   6. the same in WebKitGTK over WebDriver: the demo and its IndexedDB files,
#      the faults, the webCrypto key on disk (npm run test:webkit on its own)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
ensure_packages all
jobs=$(nproc)

echo "== native tests (CTest) =="
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$jobs"
ctest --test-dir build/native --output-on-failure -j"$jobs"
# CTest hides passing output: show the Wycheproof counts of the native suite.
build/native/enveil_tests --gtest_filter='*Wycheproof*' --gtest_brief=1 | grep '^\[wycheproof\]'

echo "== native tests under ASan + UBSan (CTest) =="
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DENVEIL_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j"$jobs"

echo "== fuzzing, bounded (libFuzzer + ASan/UBSan; regressions replayed first) =="
bash scripts/fuzz.sh "${ENVEIL_FUZZ_SECONDS:-60}"

echo "== constant-time check (valgrind, ctgrind style) =="
bash scripts/test-ct.sh

echo "== WASM build =="
bash scripts/build.sh

echo "== type check: shipped .d.ts and JSDoc (tsc) =="
if [ ! -x node_modules/.bin/tsc ]; then
  echo "enveil: dev dependencies are missing; run npm ci first." >&2
  exit 1
fi
node_modules/.bin/tsc -p tests/types
# The command line and its tests, with Node's types (the library itself is
# checked without them above: it must not use Node-only APIs).
node_modules/.bin/tsc -p tests/types/tsconfig.cli.json

echo "== JS tests on the SIMD build (node --test) =="
node --test tests/js/

echo "== JS tests on the baseline build: an engine without WebAssembly SIMD (node --test) =="
node --import ./tests/builds/no-simd.mjs --test tests/js/

echo "== command line tests: the enveil bin as a subprocess (node --test) =="
node --test tests/cli/

echo "== JS tests on the WASM build compiled with -fsanitize=address (node --test) =="
emcmake cmake -S . -B build/wasm-asan -DCMAKE_BUILD_TYPE=Release \
  -DENVEIL_DIST_DIR="$PWD/build/dist-asan" \
  -DCMAKE_C_FLAGS=-fsanitize=address -DCMAKE_CXX_FLAGS=-fsanitize=address \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address -sINITIAL_MEMORY=134217728" >/dev/null
cmake --build build/wasm-asan -j"$jobs" >/dev/null
node scripts/pack-wasm.mjs build/dist-asan/packed build/dist-asan/enveil.wasm.js >/dev/null
node --import ./tests/wasm-asan/register.mjs --test tests/js/

echo "== compatibility floor: eslint over js/ and the glue; WPE WebKit 2.38; newer APIs deleted (node --test) =="
node --test tests/floor/

echo "== end-to-end: the bundled demo in Debian's Chromium (node --test) =="
node demo/build.js
node --test tests/e2e/

echo "== end-to-end in WebKitGTK over WebDriver: the demo, its IndexedDB files, the faults (node --test) =="
node --test tests/webkit/
