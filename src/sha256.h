// SHA-256 (FIPS 180-4), ours: the compression function behind HMAC-SHA256
// and HKDF-SHA256 (hmac.h), where BearSSL's sha2small was the limit.
//
// The technique is the usual fast scalar one (RHash, OpenSSL's C fallback):
// a rolling 16-word message schedule (W[t] overwrites W[t-16]) instead of
// BearSSL's 64 words expanded into memory, the 64 rounds unrolled by macros so
// that every schedule index and round constant is a compile-time constant,
// big-endian words read straight from the caller's bytes (no per-block copy
// when the input is contiguous), and any number of blocks per call.
//
// Constant time by construction: SHA-256 is additions, rotations and logic
// on 32-bit words. No table is indexed by data (K is indexed only by the
// round number, a constant after unrolling) and no branch depends on data;
// the only branches depend on lengths, which are public. tests/ct/ct_check.cc
// checks it under valgrind; fuzz/fuzz_sha256_hmac.cc compares it (and the
// HMAC over it) with BearSSL's br_sha256 and br_hmac, which stay in the
// build as the oracle.
//
// Objects holding state wipe it on destruction (keyed states are secret).
#ifndef ENVEIL_SHA256_H_
#define ENVEIL_SHA256_H_

#include <cstddef>
#include <cstdint>

#include "bytes.h"

namespace enveil {

inline constexpr size_t kSha256Bytes = 32;
inline constexpr size_t kSha256BlockBytes = 64;

// The chaining value after a whole number of blocks: what HmacSha256Key keeps
// for each padded key ("cached pads"). `bytes` counts what was hashed (a
// multiple of 64); zero means "no state" (a default-constructed object).
struct Sha256State {
  uint32_t h[8];
  uint64_t bytes;
};

// The FIPS 180-4 initial state (bytes = 0).
Sha256State sha256_initial_state() noexcept;

// Compresses `blocks` consecutive 64-byte blocks at `data` (any alignment)
// into `h`. The block count is public; `data` and `h` may be secret.
void sha256_compress(uint32_t h[8], const uint8_t* data, size_t blocks) noexcept;

// A running SHA-256: update() any number of times, then finish() once; the
// object is wiped on destruction. Construct from the initial state or from a
// Sha256State at a block boundary (bytes a multiple of 64).
class Sha256 {
 public:
  Sha256() noexcept;
  explicit Sha256(const Sha256State& from) noexcept;
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(ByteView data) noexcept;
  // Pads and writes the digest to out[0..31]; the object is spent.
  void finish(uint8_t out[kSha256Bytes]) noexcept;

 private:
  uint32_t h_[8];
  uint64_t bytes_;  // hashed so far, buffered bytes included
  uint8_t buf_[kSha256BlockBytes];
};

// SHA-256 of `data` into out[0..31].
void sha256(ByteView data, uint8_t out[kSha256Bytes]) noexcept;

}  // namespace enveil

#endif  // ENVEIL_SHA256_H_
