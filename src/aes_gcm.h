// AES-256-GCM, constant time, 96-bit nonces and 128-bit tags only;
// everything else is rejected with kInvalidArgument.
//
// AES is bitsliced (no tables): our AesCt64x2 where the build has 128-bit
// vectors (WASM SIMD, x86-64, arm64), BearSSL's aes_ct64 elsewhere (the
// baseline WASM build); see aes_ct64x2.h. GHASH is BearSSL's ghash_ctmul64.
// The GCM framing is ours (aes_gcm.cc): one AES pass computes the GHASH key
// H, the tag mask E(J0) and the first key-stream blocks, where BearSSL's
// br_gcm spends a pass on each.
//
// HAZARD: the caller chooses the nonce. Reusing a (key, nonce) pair reveals
// the XOR of plaintexts and lets an attacker forge tags. The record format
// (record_format.h) derives a fresh key and nonce per message; use it.
#ifndef ENVEIL_AES_GCM_H_
#define ENVEIL_AES_GCM_H_

#include <cstdint>
#include <initializer_list>

#include "bytes.h"
#include "status.h"

namespace enveil {

inline constexpr size_t kAesGcmKeyBytes = 32;
inline constexpr size_t kAesGcmNonceBytes = 12;
inline constexpr size_t kAesGcmTagBytes = 16;
// NIST SP 800-38D: at most 2^39 - 256 bits of plaintext per (key, nonce).
inline constexpr uint64_t kAesGcmMaxPlaintextBytes = (uint64_t{1} << 36) - 32;

// Encrypts `plaintext` and writes ciphertext ‖ tag to `out`, which must be
// exactly plaintext.size() + kAesGcmTagBytes long. `out` may overlap
// `plaintext` only when they start at the same address.
// Errors (out untouched): kInvalidArgument for a key that is not 32 bytes, a
// nonce that is not 12 bytes, an oversized plaintext or a wrong out size.
Status aes256gcm_seal(ByteView key, ByteView nonce, ByteView plaintext,
                      ByteView aad, MutableByteView out) noexcept;

// Checks and decrypts `sealed` (ciphertext ‖ tag) into `out`, which must be
// exactly sealed.size() - kAesGcmTagBytes long; same overlap rule as seal.
// The tag is compared in constant time after decryption into `out`; on any
// failure `out` is wiped before returning, so no unauthenticated plaintext is
// ever released.
// Errors: kInvalidArgument for bad key/nonce/out sizes or a `sealed` shorter
// than a tag; kAuthFailed when the tag does not verify.
Status aes256gcm_open(ByteView key, ByteView nonce, ByteView sealed,
                      ByteView aad, MutableByteView out) noexcept;

// The same, with the AAD given as the concatenation of `aad_parts` (the
// record format authenticates its header and the caller's context without
// copying them together).
Status aes256gcm_seal(ByteView key, ByteView nonce, ByteView plaintext,
                      std::initializer_list<ByteView> aad_parts,
                      MutableByteView out) noexcept;
Status aes256gcm_open(ByteView key, ByteView nonce, ByteView sealed,
                      std::initializer_list<ByteView> aad_parts,
                      MutableByteView out) noexcept;

// The AES kernel behind the functions above is the build's default; tests,
// the fuzz target (fuzz/fuzz_aes_ct.cc) and the constant-time check
// (tests/ct/ct_check.cc) also run each kernel by name through these.
enum class AesKernel {
  kBearSslCt64,  // BearSSL's aes_ct64, 4 blocks per pass
  kCt64x2,       // ours, 8 blocks per pass over 128-bit vectors
};
AesKernel aes256gcm_default_kernel() noexcept;
Status aes256gcm_seal_with(AesKernel kernel, ByteView key, ByteView nonce,
                           ByteView plaintext,
                           std::initializer_list<ByteView> aad_parts,
                           MutableByteView out) noexcept;
Status aes256gcm_open_with(AesKernel kernel, ByteView key, ByteView nonce,
                           ByteView sealed,
                           std::initializer_list<ByteView> aad_parts,
                           MutableByteView out) noexcept;

}  // namespace enveil

#endif  // ENVEIL_AES_GCM_H_
