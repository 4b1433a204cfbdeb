// ChaCha20 (RFC 8439: 32-byte key, 96-bit nonce, 32-bit block counter), our
// vectorised kernel: four blocks at once, word i of the state of the four
// blocks in the four 32-bit lanes of one 128-bit vector (the layout of
// Goll and Gueron, "Vectorization on ChaCha Stream Cipher", ITNG 2014, and of
// Bernstein's vectorised implementations). ChaCha is add-rotate-xor: lane-wise
// 32-bit additions, XORs and rotations by constant amounts (pairs of constant
// shifts); no table, and no branch or address that depends on the key or the
// data. Written with clang/GCC vector extensions: WASM SIMD128 under
// -msimd128, SSE2 on x86-64, NEON on arm64; scalarised elsewhere, where the
// build uses BearSSL's chacha20_ct instead (kChaChaHasVectors).
//
// tests/native/chacha20_x4_test.cc and fuzz/fuzz_chacha20.cc compare it with
// BearSSL's br_chacha20_ct_run; tests/ct/ct_check.cc checks it under valgrind.
#ifndef ENVEIL_CHACHA20_X4_H_
#define ENVEIL_CHACHA20_X4_H_

#include <cstddef>
#include <cstdint>

namespace enveil {

inline constexpr size_t kChaChaBlockBytes = 64;
inline constexpr size_t kChaChaX4BatchBytes = 4 * kChaChaBlockBytes;

// Whether this build has 128-bit vectors, where chacha20_x4_run is the faster
// kernel (measured side by side: bash bench/kernels/run.sh).
#if defined(__wasm_simd128__) || defined(__SSE2__) || defined(__ARM_NEON)
inline constexpr bool kChaChaHasVectors = true;
#else
inline constexpr bool kChaChaHasVectors = false;
#endif

// The key stream of the four blocks cc, cc + 1, cc + 2, cc + 3 (the counter
// wraps modulo 2^32) under `key` (32 bytes) and `iv` (12 bytes), into `out`.
void chacha20_x4_keystream(const uint8_t* key, const uint8_t* iv, uint32_t cc,
                           uint8_t out[kChaChaX4BatchBytes]) noexcept;

// Exactly br_chacha20_ct_run (and the br_chacha20_run signature, so it can
// drive br_poly1305_ctmul_run): XORs `data` in place with the key stream of
// blocks cc, cc + 1, ... (the counter wraps modulo 2^32); a final partial
// block uses the first bytes of its key stream. Returns cc + ceil(len / 64)
// modulo 2^32 (a partial block counts). Whole batches of four blocks, then a
// last batch for the remaining 1..255 bytes.
uint32_t chacha20_x4_run(const void* key, const void* iv, uint32_t cc, void* data,
                         size_t len) noexcept;

}  // namespace enveil

#endif  // ENVEIL_CHACHA20_X4_H_
