// Constant-time AES encryption for CTR and GCM, two ways, with one interface:
//
//   AesCt64x2  ours: BearSSL's aes_ct64 bitsliced representation (Käsper and
//              Schwabe's technique; each 64-bit word holds one bit plane of
//              four blocks) widened to 128-bit vectors of two 64-bit lanes,
//              so one pass encrypts 8 blocks (two independent groups of 4).
//              The S-box is the Boyar–Peralta circuit as in BearSSL's
//              br_aes_ct64_bitslice_Sbox; ShiftRows, MixColumns, AddRoundKey
//              and the bit-plane transposition are logic operations, constant
//              shifts and fixed byte shuffles within each lane. Written with
//              clang/GCC vector extensions: WASM SIMD128 under -msimd128,
//              SSE2 on x86-64, NEON on arm64; scalarised (slow) elsewhere.
//   AesCt64    BearSSL's own aes_ct64 round function (4 blocks per pass),
//              for builds without 128-bit vectors (the baseline WASM build),
//              where AesCt64x2's vectors are scalarised and slower.
//
// Both only encrypt (CTR and GCM never decrypt a block). Both compute the
// round keys of br_aes_ct64_keysched + br_aes_ct64_skey_expand our way:
// FIPS 197's key expansion with the same S-box circuit over one 32-bit word
// per SubWord (BearSSL runs the whole 8-word circuit and two transpositions
// for each), then BearSSL's bit transposition of four copies of each round
// key. Everything else in AesCt64 is BearSSL's code.
//
// Constant time: no table lookup and no branch depends on the key or the
// data; the only branches and addresses depend on lengths and the round
// count, which are public. tests/ct/ct_check.cc checks both natively under
// valgrind; fuzz/fuzz_aes_ct.cc compares both with BearSSL's CTR and GCM.
//
// The objects hold expanded keys: wipe them (WipeOnExit) when done.
#ifndef ENVEIL_AES_CT64X2_H_
#define ENVEIL_AES_CT64X2_H_

#include <cstddef>
#include <cstdint>

namespace enveil {

inline constexpr size_t kAesBlockBytes = 16;

// Whether this build has 128-bit vectors, where AesCt64x2 is the faster
// kernel (measured side by side: bash bench/kernels/run.sh).
#if defined(__wasm_simd128__) || defined(__SSE2__) || defined(__ARM_NEON)
inline constexpr bool kAesHasVectors = true;
#else
inline constexpr bool kAesHasVectors = false;
#endif

class AesCt64x2 {
 public:
  static constexpr size_t kBlocksPerPass = 8;

  // `key_len` is 16, 24 or 32; the caller checks it (anything else leaves the
  // object unusable: rounds() returns 0).
  void init(const uint8_t* key, size_t key_len) noexcept;
  unsigned rounds() const noexcept { return rounds_; }
  // Encrypts kBlocksPerPass consecutive 16-byte blocks in place.
  void encrypt_pass(uint8_t* blocks) const noexcept;

 private:
  // Round keys in br_aes_ct64's expanded bitsliced layout (splatted to both
  // lanes when used), the S-box's affine constant folded in.
  uint64_t skey_[15 * 8];
  unsigned rounds_ = 0;
};

class AesCt64 {
 public:
  static constexpr size_t kBlocksPerPass = 4;

  void init(const uint8_t* key, size_t key_len) noexcept;
  unsigned rounds() const noexcept { return rounds_; }
  void encrypt_pass(uint8_t* blocks) const noexcept;

 private:
  uint64_t skey_[15 * 8];  // br_aes_ct64_skey_expand's layout
  unsigned rounds_ = 0;
};

// CTR with the semantics of BearSSL's br_block_ctr_class::run (as
// br_aes_ct64_ctr_run): XORs `data` in place with the encryptions of
// iv ‖ be32(cc), iv ‖ be32(cc + 1), ... (the 32-bit counter wraps modulo
// 2^32), `iv` 12 bytes. A final partial block uses the first bytes of its
// key stream. Returns cc + floor(len / 16) modulo 2^32.
template <class Aes>
uint32_t aes_ctr_run(const Aes& aes, const uint8_t* iv, uint32_t cc,
                     uint8_t* data, size_t len) noexcept;

extern template uint32_t aes_ctr_run<AesCt64x2>(const AesCt64x2&, const uint8_t*,
                                                uint32_t, uint8_t*, size_t) noexcept;
extern template uint32_t aes_ctr_run<AesCt64>(const AesCt64&, const uint8_t*,
                                              uint32_t, uint8_t*, size_t) noexcept;

// XORs `n` bytes of `src` into `dst` (dst ^= src).
void xor_bytes(uint8_t* dst, const uint8_t* src, size_t n) noexcept;

}  // namespace enveil

#endif  // ENVEIL_AES_CT64X2_H_
