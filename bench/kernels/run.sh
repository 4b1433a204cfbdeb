#!/usr/bin/env bash
# Builds bench/kernels/aes_ct_bench.cc natively (c++ -O3) and for WASM
# (Emscripten -O3, with and without -msimd128, as the two shipped builds),
# then runs each in turn under Node: the AES kernels side by side, then
# bench/kernels/sha256_bench.cc (SHA-256 and HMAC-SHA256, ours vs BearSSL),
# then bench/kernels/chacha_bench.cc (ChaCha20 and ChaCha20-Poly1305, ours
# vs BearSSL's chacha20_ct, and Poly1305's share of a seal).
#   bash bench/kernels/run.sh [ROUNDS]     (default 9)
# Writes only to build/bench-kernels/.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/toolchain.sh
rounds=${1:-9}
out=build/bench-kernels
bearssl=${ENVEIL_BEARSSL_SOURCE:-build/third_party/bearssl-0.6}
[ -f "$bearssl/inc/bearssl.h" ] || bash scripts/fetch-bearssl.sh build/third_party
mapfile -t bearssl_files < <(sed -n '/set(_bearssl_files/,/)/p' cmake/BearSSL.cmake |
                             grep -oE '[A-Za-z0-9_/]+\.c' | sed "s#^#$bearssl/src/#")
core=(src/aes_ct64x2.cc src/aes_gcm.cc src/secret.cc)
mkdir -p "$out"

build() {  # NAME CC CXX FLAGS...
  local name=$1 cc=$2 cxx=$3; shift 3
  local dir="$out/$name"
  rm -rf "$dir"; mkdir -p "$dir"
  local objs=()
  for f in "${bearssl_files[@]}"; do
    local o="$dir/$(basename "$f" .c).o" unroll=()
    # As cmake/BearSSL.cmake compiles sha2small and chacha20_ct under Emscripten.
    [[ "$cc" == emcc && ( "$f" == */sha2small.c || "$f" == */chacha20_ct.c ) ]] &&
      unroll=(-mllvm -unroll-threshold=4000 -mllvm -unroll-full-max-count=200)
    "$cc" -std=c99 -O3 -w "$@" "${unroll[@]}" -I"$bearssl/inc" -I"$bearssl/src" -c "$f" -o "$o" &
    objs+=("$o")
  done
  wait
  "$cxx" -std=c++20 -O3 -Wall -Wextra "$@" -Isrc -isystem "$bearssl/inc" \
    bench/kernels/aes_ct_bench.cc "${core[@]}" "${objs[@]}" -o "$dir/bench$SUFFIX"
  # SHA-256 / HMAC-SHA256: ours against BearSSL's sha2small and hmac.
  "$cxx" -std=c++20 -O3 -Wall -Wextra "$@" -Isrc -isystem "$bearssl/inc" \
    bench/kernels/sha256_bench.cc src/sha256.cc src/hmac.cc src/secret.cc "${objs[@]}" \
    -o "$dir/sha256_bench$SUFFIX"
  # ChaCha20 / ChaCha20-Poly1305: ours against BearSSL's chacha20_ct.
  "$cxx" -std=c++20 -O3 -Wall -Wextra "$@" -Isrc -isystem "$bearssl/inc" \
    bench/kernels/chacha_bench.cc src/chacha20_x4.cc src/chacha20_poly1305.cc \
    src/aes_ct64x2.cc src/secret.cc "${objs[@]}" -o "$dir/chacha_bench$SUFFIX"
}

SUFFIX= build native cc c++
echo "== native ($(c++ --version | head -1)) =="
"$out/native/bench" "$rounds"
"$out/native/sha256_bench" "$rounds"
"$out/native/chacha_bench" "$rounds"

ensure_packages wasm
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
wasm=(-DBR_LE_UNALIGNED=1 -sENVIRONMENT=node -sSINGLE_FILE=1)
SUFFIX=.cjs build wasm-simd emcc em++ -msimd128 "${wasm[@]}"
SUFFIX=.cjs build wasm emcc em++ "${wasm[@]}"
echo; echo "== WASM with -msimd128 (Node $(node --version)) =="
node "$out/wasm-simd/bench.cjs" "$rounds"
node "$out/wasm-simd/sha256_bench.cjs" "$rounds"
node "$out/wasm-simd/chacha_bench.cjs" "$rounds"
echo; echo "== WASM baseline, no SIMD (Node $(node --version)) =="
node "$out/wasm/bench.cjs" "$rounds"
node "$out/wasm/sha256_bench.cjs" "$rounds"
node "$out/wasm/chacha_bench.cjs" "$rounds"
