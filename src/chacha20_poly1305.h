// ChaCha20-Poly1305 (RFC 8439): 32-byte key, 96-bit nonce, 128-bit tag.
// Poly1305 is BearSSL's poly1305_ctmul; ChaCha20 is our four-block vector
// kernel (chacha20_x4.h) in builds with 128-bit vectors (native, WASM SIMD)
// and BearSSL's chacha20_ct elsewhere (the baseline WASM build). Several
// times faster than constant-time AES in WASM, where there are no AES
// instructions; record suite 0x02 uses it.
//
// HAZARD: as for AES-GCM, the caller chooses the nonce; never repeat one
// under a key. The record format derives both per message.
#ifndef ENVEIL_CHACHA20_POLY1305_H_
#define ENVEIL_CHACHA20_POLY1305_H_

#include <cstdint>
#include <initializer_list>

#include "bytes.h"
#include "status.h"

namespace enveil {

inline constexpr size_t kChaChaPolyKeyBytes = 32;
inline constexpr size_t kChaChaPolyNonceBytes = 12;
inline constexpr size_t kChaChaPolyTagBytes = 16;
// RFC 8439 §2.8: the 32-bit block counter bounds a message to 2^38 - 64 bytes.
inline constexpr uint64_t kChaChaPolyMaxPlaintextBytes = (uint64_t{1} << 38) - 64;

// Same contracts as aes256gcm_seal / aes256gcm_open (aes_gcm.h): exact
// output sizes, overlap only at the same address, output wiped on failure.
Status chacha20poly1305_seal(ByteView key, ByteView nonce, ByteView plaintext,
                             std::initializer_list<ByteView> aad_parts,
                             MutableByteView out) noexcept;
Status chacha20poly1305_open(ByteView key, ByteView nonce, ByteView sealed,
                             std::initializer_list<ByteView> aad_parts,
                             MutableByteView out) noexcept;

// The ChaCha20 kernel behind the functions above is the build's default;
// tests, the fuzz target (fuzz/fuzz_chacha20.cc) and the constant-time check
// (tests/ct/ct_check.cc) also run each kernel by name through these.
enum class ChaChaKernel {
  kBearSslCt,  // BearSSL's chacha20_ct, one block at a time
  kX4,         // ours, four blocks per batch over 128-bit vectors
};
ChaChaKernel chacha20poly1305_default_kernel() noexcept;
Status chacha20poly1305_seal_with(ChaChaKernel kernel, ByteView key, ByteView nonce,
                                  ByteView plaintext,
                                  std::initializer_list<ByteView> aad_parts,
                                  MutableByteView out) noexcept;
Status chacha20poly1305_open_with(ChaChaKernel kernel, ByteView key, ByteView nonce,
                                  ByteView sealed,
                                  std::initializer_list<ByteView> aad_parts,
                                  MutableByteView out) noexcept;

}  // namespace enveil

#endif  // ENVEIL_CHACHA20_POLY1305_H_
