#include "sha256.h"

#include <bit>
#include <cstring>

#include "secret.h"

namespace enveil {
namespace {

// FIPS 180-4 §4.2.2. Indexed only by the round number, a constant once the
// rounds are unrolled.
constexpr uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// FIPS 180-4 §5.3.3.
constexpr uint32_t kInitial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                  0xa54ff53a, 0x510e527f, 0x9b05688c,
                                  0x1f83d9ab, 0x5be0cd19};

[[maybe_unused]] inline uint32_t read_be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);  // one (unaligned) load
  if constexpr (std::endian::native == std::endian::little) {
    v = __builtin_bswap32(v);
  }
  return v;
}

inline void write_be32(uint8_t* p, uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    v = __builtin_bswap32(v);
  }
  std::memcpy(p, &v, sizeof v);
}

inline void write_be64(uint8_t* p, uint64_t v) {
  write_be32(p, static_cast<uint32_t>(v >> 32));
  write_be32(p + 4, static_cast<uint32_t>(v));
}

// In the WASM SIMD build the block's 16 big-endian words are read as four
// 128-bit loads and byte-swapped with one fixed shuffle each (i8x16.shuffle);
// WASM has no scalar byte swap, so each scalar word would otherwise cost
// about ten shifts, masks and ors.
#if defined(__wasm_simd128__)
#define ENVEIL_SHA_VECTOR_LOAD 1
typedef uint8_t U8x16 __attribute__((vector_size(16)));
typedef uint32_t U32x4 __attribute__((vector_size(16)));

inline void load_block_be(uint32_t w[16], const uint8_t* data) {
  for (int i = 0; i < 4; ++i) {
    U8x16 v;
    std::memcpy(&v, data + 16 * i, sizeof v);
    v = __builtin_shufflevector(v, v, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15,
                                14, 13, 12);
    const U32x4 words = reinterpret_cast<U32x4>(v);
    w[4 * i + 0] = words[0];
    w[4 * i + 1] = words[1];
    w[4 * i + 2] = words[2];
    w[4 * i + 3] = words[3];
  }
}
#else
#define ENVEIL_SHA_VECTOR_LOAD 0
#endif

}  // namespace

// FIPS 180-4 §4.1.2 functions; CH and MAJ in their 3-operation forms.
#define ENVEIL_SHA_S0(x) (std::rotr(x, 2) ^ std::rotr(x, 13) ^ std::rotr(x, 22))
#define ENVEIL_SHA_S1(x) (std::rotr(x, 6) ^ std::rotr(x, 11) ^ std::rotr(x, 25))
#define ENVEIL_SHA_s0(x) (std::rotr(x, 7) ^ std::rotr(x, 18) ^ ((x) >> 3))
#define ENVEIL_SHA_s1(x) (std::rotr(x, 17) ^ std::rotr(x, 19) ^ ((x) >> 10))
#define ENVEIL_SHA_CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define ENVEIL_SHA_MAJ(x, y, z) ((y) ^ (((x) ^ (y)) & ((y) ^ (z))))

// The rolling schedule: W[t] lives in w[t mod 16], overwriting W[t-16].
#define ENVEIL_SHA_W(t) w[(t) & 15]
// Rounds 0-15 read the block's words; rounds 16-63 extend the schedule.
#define ENVEIL_SHA_LOAD(t) (ENVEIL_SHA_W(t) = read_be32(data + 4 * (t)))
#define ENVEIL_SHA_NEXT(t)                                                   \
  (ENVEIL_SHA_W(t) += ENVEIL_SHA_s1(ENVEIL_SHA_W((t) - 2)) +                 \
                      ENVEIL_SHA_W((t) - 7) +                                \
                      ENVEIL_SHA_s0(ENVEIL_SHA_W((t) - 15)))

// One round with the working variables renamed instead of moved.
#define ENVEIL_SHA_ROUND(a, b, c, d, e, f, g, h, t, WORD)                    \
  do {                                                                       \
    const uint32_t t1 = h + ENVEIL_SHA_S1(e) + ENVEIL_SHA_CH(e, f, g) +      \
                        kK[t] + WORD(t);                                     \
    d += t1;                                                                 \
    h = t1 + ENVEIL_SHA_S0(a) + ENVEIL_SHA_MAJ(a, b, c);                     \
  } while (0)

// Eight rounds bring the names back to where they started.
#define ENVEIL_SHA_ROUNDS8(t, WORD)                                          \
  ENVEIL_SHA_ROUND(a, b, c, d, e, f, g, h, (t) + 0, WORD);                   \
  ENVEIL_SHA_ROUND(h, a, b, c, d, e, f, g, (t) + 1, WORD);                   \
  ENVEIL_SHA_ROUND(g, h, a, b, c, d, e, f, (t) + 2, WORD);                   \
  ENVEIL_SHA_ROUND(f, g, h, a, b, c, d, e, (t) + 3, WORD);                   \
  ENVEIL_SHA_ROUND(e, f, g, h, a, b, c, d, (t) + 4, WORD);                   \
  ENVEIL_SHA_ROUND(d, e, f, g, h, a, b, c, (t) + 5, WORD);                   \
  ENVEIL_SHA_ROUND(c, d, e, f, g, h, a, b, (t) + 6, WORD);                   \
  ENVEIL_SHA_ROUND(b, c, d, e, f, g, h, a, (t) + 7, WORD)

void sha256_compress(uint32_t state[8], const uint8_t* data,
                     size_t blocks) noexcept {
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (; blocks != 0; --blocks, data += kSha256BlockBytes) {
    uint32_t w[16];
#if ENVEIL_SHA_VECTOR_LOAD
    load_block_be(w, data);
    ENVEIL_SHA_ROUNDS8(0, ENVEIL_SHA_W);
    ENVEIL_SHA_ROUNDS8(8, ENVEIL_SHA_W);
#else
    ENVEIL_SHA_ROUNDS8(0, ENVEIL_SHA_LOAD);
    ENVEIL_SHA_ROUNDS8(8, ENVEIL_SHA_LOAD);
#endif
    ENVEIL_SHA_ROUNDS8(16, ENVEIL_SHA_NEXT);
    ENVEIL_SHA_ROUNDS8(24, ENVEIL_SHA_NEXT);
    ENVEIL_SHA_ROUNDS8(32, ENVEIL_SHA_NEXT);
    ENVEIL_SHA_ROUNDS8(40, ENVEIL_SHA_NEXT);
    ENVEIL_SHA_ROUNDS8(48, ENVEIL_SHA_NEXT);
    ENVEIL_SHA_ROUNDS8(56, ENVEIL_SHA_NEXT);
    a += state[0]; b += state[1]; c += state[2]; d += state[3];
    e += state[4]; f += state[5]; g += state[6]; h += state[7];
    state[0] = a; state[1] = b; state[2] = c; state[3] = d;
    state[4] = e; state[5] = f; state[6] = g; state[7] = h;
  }
}

#undef ENVEIL_SHA_ROUNDS8
#undef ENVEIL_SHA_ROUND
#undef ENVEIL_SHA_NEXT
#undef ENVEIL_SHA_LOAD
#undef ENVEIL_SHA_W
#undef ENVEIL_SHA_MAJ
#undef ENVEIL_SHA_CH
#undef ENVEIL_SHA_s1
#undef ENVEIL_SHA_s0
#undef ENVEIL_SHA_S1
#undef ENVEIL_SHA_S0

Sha256State sha256_initial_state() noexcept {
  Sha256State s;
  std::memcpy(s.h, kInitial, sizeof s.h);
  s.bytes = 0;
  return s;
}

Sha256::Sha256() noexcept : bytes_(0) {
  std::memcpy(h_, kInitial, sizeof h_);
}

Sha256::Sha256(const Sha256State& from) noexcept : bytes_(from.bytes) {
  // A saved state is always at a block boundary (HMAC's pads: 64 bytes);
  // anything else would leave part of the buffer unset for finish().
  if (from.bytes % 64 != 0) __builtin_trap();
  std::memcpy(h_, from.h, sizeof h_);
}

Sha256::~Sha256() { secure_wipe(this, sizeof *this); }

void Sha256::update(ByteView data) noexcept {
  const uint8_t* p = data.data();
  size_t n = data.size();
  if (n == 0) return;  // an empty span may have a null data()
  size_t used = static_cast<size_t>(bytes_ % kSha256BlockBytes);
  bytes_ += n;
  if (used != 0) {
    const size_t take = n < kSha256BlockBytes - used ? n : kSha256BlockBytes - used;
    std::memcpy(buf_ + used, p, take);
    p += take;
    n -= take;
    if (used + take < kSha256BlockBytes) return;
    sha256_compress(h_, buf_, 1);
  }
  // Whole blocks straight from the caller's bytes.
  const size_t blocks = n / kSha256BlockBytes;
  if (blocks != 0) {
    sha256_compress(h_, p, blocks);
    p += blocks * kSha256BlockBytes;
    n -= blocks * kSha256BlockBytes;
  }
  if (n != 0) std::memcpy(buf_, p, n);
}

void Sha256::finish(uint8_t out[kSha256Bytes]) noexcept {
  size_t used = static_cast<size_t>(bytes_ % kSha256BlockBytes);
  buf_[used++] = 0x80;
  if (used > kSha256BlockBytes - 8) {
    std::memset(buf_ + used, 0, kSha256BlockBytes - used);
    sha256_compress(h_, buf_, 1);
    used = 0;
  }
  std::memset(buf_ + used, 0, kSha256BlockBytes - 8 - used);
  write_be64(buf_ + kSha256BlockBytes - 8, bytes_ << 3);
  sha256_compress(h_, buf_, 1);
  for (int i = 0; i < 8; ++i) write_be32(out + 4 * i, h_[i]);
}

void sha256(ByteView data, uint8_t out[kSha256Bytes]) noexcept {
  Sha256 s;
  s.update(data);
  s.finish(out);
}

}  // namespace enveil
