#include "aes_ct64x2.h"

#include <cstring>

#include "secret.h"

// BearSSL 0.6's aes_ct64 internals (declared in its src/inner.h, which is C
// and not part of its public headers); compiled from symcipher/aes_ct64.c and
// aes_ct64_enc.c (cmake/BearSSL.cmake).
extern "C" {
void br_aes_ct64_ortho(uint64_t* q);
void br_aes_ct64_interleave_in(uint64_t* q0, uint64_t* q1, const uint32_t* w);
void br_aes_ct64_interleave_out(uint32_t* w, uint64_t q0, uint64_t q1);
void br_aes_ct64_bitslice_encrypt(unsigned num_rounds, const uint64_t* skey,
                                  uint64_t* q);
}

// Blocks are loaded into vectors as they lie in memory, and BearSSL reads
// them as little-endian words: the byte shuffles below assume both agree.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "aes_ct64x2 assumes a little-endian target (WASM, x86, ARM)");

namespace enveil {
namespace {

// Two 64-bit lanes: one bit plane of 8 blocks.
typedef uint64_t AesLanes __attribute__((vector_size(16)));
typedef uint32_t U32x4 __attribute__((vector_size(16)));
typedef uint16_t U16x8 __attribute__((vector_size(16)));
typedef uint8_t U8x16 __attribute__((vector_size(16)));

// Reinterprets the 128 bits of a vector as another lane shape (free).
template <typename To, typename From>
inline To as(From v) {
  return (To)v;
}

inline AesLanes broadcast(uint64_t x) { return AesLanes{x, x}; }

inline AesLanes load(const uint8_t* p) {
  AesLanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store(uint8_t* p, AesLanes v) { std::memcpy(p, &v, sizeof v); }

// ---- the round function on 8 bit planes of 8 blocks ------------------------
// Word q[j] holds bit j of every byte of the state (bit 0 the least
// significant): in each 64-bit lane, bit 16 r + 4 c + b is that bit of the
// byte in row r, column c of block b of the lane's four blocks. This is
// exactly br_aes_ct64's layout, one copy per lane.

// The Boyar–Peralta S-box circuit (https://eprint.iacr.org/2009/191), as
// br_aes_ct64_bitslice_Sbox, without its four final NOTs: they XOR the
// affine constant 0x63 into every byte, which ShiftRows and MixColumns leave
// unchanged (0x63 in every byte of a column mixes to 0x63, since
// 2 ^ 3 ^ 1 ^ 1 = 1), so init() folds them into the round keys 1..Nr.
// W is AesLanes (8 blocks) or uint32_t (the key schedule's 4 bytes).
template <typename W>
inline void sbox_without_constant(W* q) {
  const W x0 = q[7], x1 = q[6], x2 = q[5], x3 = q[4];
  const W x4 = q[3], x5 = q[2], x6 = q[1], x7 = q[0];

  // Top linear transformation.
  const W y14 = x3 ^ x5;
  const W y13 = x0 ^ x6;
  const W y9 = x0 ^ x3;
  const W y8 = x0 ^ x5;
  const W t0 = x1 ^ x2;
  const W y1 = t0 ^ x7;
  const W y4 = y1 ^ x3;
  const W y12 = y13 ^ y14;
  const W y2 = y1 ^ x0;
  const W y5 = y1 ^ x6;
  const W y3 = y5 ^ y8;
  const W t1 = x4 ^ y12;
  const W y15 = t1 ^ x5;
  const W y20 = t1 ^ x1;
  const W y6 = y15 ^ x7;
  const W y10 = y15 ^ t0;
  const W y11 = y20 ^ y9;
  const W y7 = x7 ^ y11;
  const W y17 = y10 ^ y11;
  const W y19 = y10 ^ y8;
  const W y16 = t0 ^ y11;
  const W y21 = y13 ^ y16;
  const W y18 = x0 ^ y16;

  // Non-linear section.
  const W t2 = y12 & y15;
  const W t3 = y3 & y6;
  const W t4 = t3 ^ t2;
  const W t5 = y4 & x7;
  const W t6 = t5 ^ t2;
  const W t7 = y13 & y16;
  const W t8 = y5 & y1;
  const W t9 = t8 ^ t7;
  const W t10 = y2 & y7;
  const W t11 = t10 ^ t7;
  const W t12 = y9 & y11;
  const W t13 = y14 & y17;
  const W t14 = t13 ^ t12;
  const W t15 = y8 & y10;
  const W t16 = t15 ^ t12;
  const W t17 = t4 ^ t14;
  const W t18 = t6 ^ t16;
  const W t19 = t9 ^ t14;
  const W t20 = t11 ^ t16;
  const W t21 = t17 ^ y20;
  const W t22 = t18 ^ y19;
  const W t23 = t19 ^ y21;
  const W t24 = t20 ^ y18;

  const W t25 = t21 ^ t22;
  const W t26 = t21 & t23;
  const W t27 = t24 ^ t26;
  const W t28 = t25 & t27;
  const W t29 = t28 ^ t22;
  const W t30 = t23 ^ t24;
  const W t31 = t22 ^ t26;
  const W t32 = t31 & t30;
  const W t33 = t32 ^ t24;
  const W t34 = t23 ^ t33;
  const W t35 = t27 ^ t33;
  const W t36 = t24 & t35;
  const W t37 = t36 ^ t34;
  const W t38 = t27 ^ t36;
  const W t39 = t29 & t38;
  const W t40 = t25 ^ t39;

  const W t41 = t40 ^ t37;
  const W t42 = t29 ^ t33;
  const W t43 = t29 ^ t40;
  const W t44 = t33 ^ t37;
  const W t45 = t42 ^ t41;
  const W z0 = t44 & y15;
  const W z1 = t37 & y6;
  const W z2 = t33 & x7;
  const W z3 = t43 & y16;
  const W z4 = t40 & y1;
  const W z5 = t29 & y7;
  const W z6 = t42 & y11;
  const W z7 = t45 & y17;
  const W z8 = t41 & y10;
  const W z9 = t44 & y12;
  const W z10 = t37 & y3;
  const W z11 = t33 & y4;
  const W z12 = t43 & y13;
  const W z13 = t40 & y5;
  const W z14 = t29 & y2;
  const W z15 = t42 & y9;
  const W z16 = t45 & y14;
  const W z17 = t41 & y8;

  // Bottom linear transformation (BearSSL's s1, s2, s6, s7 also take a NOT).
  const W t46 = z15 ^ z16;
  const W t47 = z10 ^ z11;
  const W t48 = z5 ^ z13;
  const W t49 = z9 ^ z10;
  const W t50 = z2 ^ z12;
  const W t51 = z2 ^ z5;
  const W t52 = z7 ^ z8;
  const W t53 = z0 ^ z3;
  const W t54 = z6 ^ z7;
  const W t55 = z16 ^ z17;
  const W t56 = z12 ^ t48;
  const W t57 = t50 ^ t53;
  const W t58 = z4 ^ t46;
  const W t59 = z3 ^ t54;
  const W t60 = t46 ^ t57;
  const W t61 = z14 ^ t57;
  const W t62 = t52 ^ t58;
  const W t63 = t49 ^ t58;
  const W t64 = z4 ^ t59;
  const W t65 = t61 ^ t62;
  const W t66 = z1 ^ t63;
  const W s0 = t59 ^ t63;
  const W s6 = t56 ^ t62;
  const W s7 = t48 ^ t60;
  const W t67 = t64 ^ t65;
  const W s3 = t53 ^ t66;
  const W s4 = t51 ^ t66;
  const W s5 = t47 ^ t65;
  const W s1 = t64 ^ s3;
  const W s2 = t55 ^ t67;

  q[7] = s0;
  q[6] = s1;
  q[5] = s2;
  q[4] = s3;
  q[3] = s4;
  q[2] = s5;
  q[1] = s6;
  q[0] = s7;
}

// Within each 64-bit lane, row r of the state is the 16-bit group r (four
// nibbles, one per column, each holding that byte's bit for the 4 blocks).
// ShiftRows rotates group r right by 4 * r bits: group 2 is a byte swap,
// groups 1 and 3 a rotation by 4 after (for group 3) that swap. Ten vector
// operations against br_aes_ct64's nineteen mask-and-shift steps.
inline AesLanes shift_rows_word(AesLanes x) {
  const U16x8 keep = {0, 0, 0xFFFF, 0xFFFF, 0, 0, 0xFFFF, 0xFFFF};  // rows 2, 3
  const U16x8 odd = {0, 0xFFFF, 0, 0xFFFF, 0, 0xFFFF, 0, 0xFFFF};   // rows 1, 3
  const U16x8 a = as<U16x8>(x);
  // The byte swap as shifts: SSE2 has no byte shuffle (GCC scalarised the
  // shuffle), and V8 ran the shifts about 6% faster than an i8x16.shuffle.
  const U16x8 s = (a << 8) | (a >> 8);
  const U16x8 c = a ^ ((a ^ s) & keep);  // rows 2 and 3 byte-swapped
  const U16x8 d = c & odd;
  const U16x8 rotated = (d >> 4) | (d << 12);
  const U16x8 out = (c ^ d) | rotated;
  return as<AesLanes>(out);
}

// Rotations of each 64-bit lane right by 16 and by 32 bits: fixed shuffles.
inline AesLanes rotr16(AesLanes x) {
  const U16x8 v = as<U16x8>(x);
  const U16x8 r = __builtin_shufflevector(v, v, 1, 2, 3, 0, 5, 6, 7, 4);
  return as<AesLanes>(r);
}

inline AesLanes rotr32(AesLanes x) {
  const U32x4 v = as<U32x4>(x);
  const U32x4 r = __builtin_shufflevector(v, v, 1, 0, 3, 2);
  return as<AesLanes>(r);
}

// br_aes_ct64's mix_columns, lane-wise.
inline void mix_columns(AesLanes* q) {
  const AesLanes q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
  const AesLanes q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
  const AesLanes r0 = rotr16(q0), r1 = rotr16(q1), r2 = rotr16(q2), r3 = rotr16(q3);
  const AesLanes r4 = rotr16(q4), r5 = rotr16(q5), r6 = rotr16(q6), r7 = rotr16(q7);
  const AesLanes q7r7 = q7 ^ r7;
  q[0] = q7r7 ^ r0 ^ rotr32(q0 ^ r0);
  q[1] = q0 ^ r0 ^ q7r7 ^ r1 ^ rotr32(q1 ^ r1);
  q[2] = q1 ^ r1 ^ r2 ^ rotr32(q2 ^ r2);
  q[3] = q2 ^ r2 ^ q7r7 ^ r3 ^ rotr32(q3 ^ r3);
  q[4] = q3 ^ r3 ^ q7r7 ^ r4 ^ rotr32(q4 ^ r4);
  q[5] = q4 ^ r4 ^ r5 ^ rotr32(q5 ^ r5);
  q[6] = q5 ^ r5 ^ r6 ^ rotr32(q6 ^ r6);
  q[7] = q6 ^ r6 ^ r7 ^ rotr32(q7r7);
}

// Round keys are stored once per plane and splatted to both lanes as they
// are used (one v128.load64_splat): half the memory to hold and wipe.
inline void add_round_key(AesLanes* q, const uint64_t* sk) {
  for (int i = 0; i < 8; ++i) q[i] ^= broadcast(sk[i]);
}

// br_aes_ct64_ortho lane-wise: transposes the 8x8 bit matrices that turn 8
// words of interleaved bytes into 8 bit planes (an involution).
template <int kShift>
inline void swap_bits(AesLanes& x, AesLanes& y, uint64_t low_mask) {
  const AesLanes cl = broadcast(low_mask), ch = broadcast(~low_mask);
  const AesLanes a = x, b = y;
  x = (a & cl) | ((b & cl) << kShift);
  y = ((a & ch) >> kShift) | (b & ch);
}

inline void ortho(AesLanes* q) {
  swap_bits<1>(q[0], q[1], 0x5555555555555555);
  swap_bits<1>(q[2], q[3], 0x5555555555555555);
  swap_bits<1>(q[4], q[5], 0x5555555555555555);
  swap_bits<1>(q[6], q[7], 0x5555555555555555);
  swap_bits<2>(q[0], q[2], 0x3333333333333333);
  swap_bits<2>(q[1], q[3], 0x3333333333333333);
  swap_bits<2>(q[4], q[6], 0x3333333333333333);
  swap_bits<2>(q[5], q[7], 0x3333333333333333);
  swap_bits<4>(q[0], q[4], 0x0F0F0F0F0F0F0F0F);
  swap_bits<4>(q[1], q[5], 0x0F0F0F0F0F0F0F0F);
  swap_bits<4>(q[2], q[6], 0x0F0F0F0F0F0F0F0F);
  swap_bits<4>(q[3], q[7], 0x0F0F0F0F0F0F0F0F);
}

// br_aes_ct64_interleave_in is a byte permutation of a block: its first word
// interleaves bytes 0..3 with 8..11, its second 4..7 with 12..15. Here block
// a goes to lane 0 of qi and qi4, block b to lane 1, as unpacks of two
// vectors (SSE2's punpck*, shuffles V8 matches to them) rather than
// one-vector byte shuffles, which SSE2 does not have.
inline void interleave_in(U32x4 a, U32x4 b, AesLanes& qi, AesLanes& qi4) {
  // Bytes 0..3 of a, of b, 4..7 of a, of b; then the same for 8..15.
  const U8x16 lo = as<U8x16>(__builtin_shufflevector(a, b, 0, 4, 1, 5));
  const U8x16 hi = as<U8x16>(__builtin_shufflevector(a, b, 2, 6, 3, 7));
  qi = as<AesLanes>(__builtin_shufflevector(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19,
                                            4, 20, 5, 21, 6, 22, 7, 23));
  qi4 = as<AesLanes>(__builtin_shufflevector(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27,
                                             12, 28, 13, 29, 14, 30, 15, 31));
}

// Blocks 0..3 to lane 0 of q[0..7], blocks 4..7 to lane 1.
inline void load_blocks(AesLanes* q, const uint8_t* blocks) {
  for (int i = 0; i < 4; ++i) {
    U32x4 a, b;
    std::memcpy(&a, blocks + 16 * i, sizeof a);
    std::memcpy(&b, blocks + 16 * (i + 4), sizeof b);
    interleave_in(a, b, q[i], q[i + 4]);
  }
}

// The inverse of load_blocks.
inline void store_blocks(uint8_t* blocks, const AesLanes* q) {
  for (int i = 0; i < 4; ++i) {
    const U8x16 x = as<U8x16>(q[i]), y = as<U8x16>(q[i + 4]);
    const U32x4 lo = as<U32x4>(__builtin_shufflevector(x, y, 0, 2, 4, 6, 8, 10, 12, 14,
                                                       16, 18, 20, 22, 24, 26, 28, 30));
    const U32x4 hi = as<U32x4>(__builtin_shufflevector(x, y, 1, 3, 5, 7, 9, 11, 13, 15,
                                                       17, 19, 21, 23, 25, 27, 29, 31));
    const U32x4 a = __builtin_shufflevector(lo, hi, 0, 2, 4, 6);
    const U32x4 b = __builtin_shufflevector(lo, hi, 1, 3, 5, 7);
    std::memcpy(blocks + 16 * i, &a, sizeof a);
    std::memcpy(blocks + 16 * (i + 4), &b, sizeof b);
  }
}

// Counter blocks iv ‖ be32(cc + k), k = 0 .. n - 1.
void counter_blocks(uint8_t* blocks, size_t n, const uint8_t* iv, uint32_t cc) {
  for (size_t k = 0; k < n; ++k) {
    uint8_t* b = blocks + kAesBlockBytes * k;
    std::memcpy(b, iv, 12);
    const uint32_t c = cc + static_cast<uint32_t>(k);
    b[12] = static_cast<uint8_t>(c >> 24);
    b[13] = static_cast<uint8_t>(c >> 16);
    b[14] = static_cast<uint8_t>(c >> 8);
    b[15] = static_cast<uint8_t>(c);
  }
}

// SubWord: the S-box on each byte of x, bitsliced over one 32-bit word
// (plane j holds bit j of the four bytes) with the same circuit.
uint32_t sub_word(uint32_t x) {
  uint32_t q[8];
  for (int j = 0; j < 8; ++j) q[j] = (x >> j) & 0x01010101u;
  sbox_without_constant(q);
  uint32_t y = 0;
  for (int j = 0; j < 8; ++j) y |= q[j] << j;
  return y ^ 0x63636363u;
}

// FIPS 197's key expansion into 4 * (rounds + 1) little-endian words, as
// br_aes_ct64_keysched computes it before bitslicing (its sub_word runs
// the whole 8-word circuit and two transpositions for 4 bytes; this one
// costs a fifth of that). Returns the round count, or 0 for a bad key size.
unsigned expand_words(uint32_t* w, const uint8_t* key, size_t key_len) {
  static constexpr uint8_t kRcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10,
                                        0x20, 0x40, 0x80, 0x1B, 0x36};
  unsigned rounds;
  switch (key_len) {
    case 16: rounds = 10; break;
    case 24: rounds = 12; break;
    case 32: rounds = 14; break;
    default: return 0;
  }
  const size_t nk = key_len / 4, total = 4 * (rounds + 1);
  for (size_t i = 0; i < nk; ++i) {
    w[i] = uint32_t{key[4 * i]} | uint32_t{key[4 * i + 1]} << 8 |
           uint32_t{key[4 * i + 2]} << 16 | uint32_t{key[4 * i + 3]} << 24;
  }
  uint32_t tmp = w[nk - 1];
  for (size_t i = nk, j = 0, k = 0; i < total; ++i) {
    if (j == 0) {
      tmp = sub_word((tmp << 24) | (tmp >> 8)) ^ kRcon[k];  // RotWord first
    } else if (nk > 6 && j == 4) {
      tmp = sub_word(tmp);
    }
    tmp ^= w[i - nk];
    w[i] = tmp;
    if (++j == nk) {
      j = 0;
      ++k;
    }
  }
  return rounds;
}

}  // namespace

void xor_bytes(uint8_t* dst, const uint8_t* src, size_t n) noexcept {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) store(dst + i, load(dst + i) ^ load(src + i));
  for (; i < n; ++i) dst[i] ^= src[i];
}

// ---- AesCt64x2 --------------------------------------------------------------

void AesCt64x2::init(const uint8_t* key, size_t key_len) noexcept {
  uint32_t words[60];
  rounds_ = expand_words(words, key, key_len);
  if (rounds_ == 0) return;  // a key size the caller should have rejected
  // Each round key in br_aes_ct64's expanded layout: the bit planes of four
  // copies of it as blocks. One pass of load_blocks and ortho converts two
  // round keys (lane 0 and lane 1).
  const uint64_t kSboxConstant[8] = {~0ull, ~0ull, 0, 0, 0, ~0ull, ~0ull, 0};
  for (unsigned r = 0; r <= rounds_; r += 2) {
    const unsigned next = r + 1 <= rounds_ ? r + 1 : r;
    // Four copies of a block load as four equal words q[0..3] and q[4..7].
    // The words are little-endian, as the blocks are (WASM, x86, ARM).
    U32x4 a, b;
    std::memcpy(&a, words + 4 * r, sizeof a);
    std::memcpy(&b, words + 4 * next, sizeof b);
    AesLanes q[8];
    interleave_in(a, b, q[0], q[4]);
    q[1] = q[2] = q[3] = q[0];
    q[5] = q[6] = q[7] = q[4];
    ortho(q);
    for (unsigned j = 0; j < 8; ++j) {
      // Planes 0, 1, 5 and 6 of rounds 1..Nr take the S-box constant 0x63.
      skey_[8 * r + j] = q[j][0] ^ (r ? kSboxConstant[j] : 0);
      if (next != r) skey_[8 * next + j] = q[j][1] ^ kSboxConstant[j];
    }
  }
  secure_wipe(words, sizeof words);
}

void AesCt64x2::encrypt_pass(uint8_t* blocks) const noexcept {
  AesLanes q[8];
  load_blocks(q, blocks);
  ortho(q);
  add_round_key(q, skey_);
  for (unsigned r = 1; r < rounds_; ++r) {
    sbox_without_constant(q);
    for (int i = 0; i < 8; ++i) q[i] = shift_rows_word(q[i]);
    mix_columns(q);
    add_round_key(q, skey_ + 8 * r);
  }
  sbox_without_constant(q);
  for (int i = 0; i < 8; ++i) q[i] = shift_rows_word(q[i]);
  add_round_key(q, skey_ + 8 * rounds_);
  ortho(q);
  store_blocks(blocks, q);
}

// ---- AesCt64 (BearSSL) ------------------------------------------------------

void AesCt64::init(const uint8_t* key, size_t key_len) noexcept {
  uint32_t words[60];
  rounds_ = expand_words(words, key, key_len);
  if (rounds_ == 0) return;  // a key size the caller should have rejected
  // br_aes_ct64_keysched then br_aes_ct64_skey_expand give, for each round
  // key, the bit planes of four copies of it: ortho them directly.
  for (unsigned r = 0; r <= rounds_; ++r) {
    uint64_t* q = skey_ + 8 * r;
    br_aes_ct64_interleave_in(&q[0], &q[4], words + 4 * r);
    q[1] = q[2] = q[3] = q[0];
    q[5] = q[6] = q[7] = q[4];
    br_aes_ct64_ortho(q);
  }
  secure_wipe(words, sizeof words);
}

void AesCt64::encrypt_pass(uint8_t* blocks) const noexcept {
  uint64_t q[8];
  uint32_t w[16];
  std::memcpy(w, blocks, sizeof w);  // little-endian words, as BearSSL's dec32le
  for (int i = 0; i < 4; ++i) br_aes_ct64_interleave_in(&q[i], &q[i + 4], w + 4 * i);
  br_aes_ct64_ortho(q);
  br_aes_ct64_bitslice_encrypt(rounds_, skey_, q);
  br_aes_ct64_ortho(q);
  for (int i = 0; i < 4; ++i) br_aes_ct64_interleave_out(w + 4 * i, q[i], q[i + 4]);
  std::memcpy(blocks, w, sizeof w);
}

// ---- CTR ----------------------------------------------------------------------

template <class Aes>
uint32_t aes_ctr_run(const Aes& aes, const uint8_t* iv, uint32_t cc, uint8_t* data,
                     size_t len) noexcept {
  constexpr size_t kPass = Aes::kBlocksPerPass * kAesBlockBytes;
  alignas(16) uint8_t stream[kPass];
  const uint32_t end = cc + static_cast<uint32_t>(len / kAesBlockBytes);
  while (len > 0) {
    counter_blocks(stream, Aes::kBlocksPerPass, iv, cc);
    aes.encrypt_pass(stream);
    const size_t n = len < kPass ? len : kPass;
    xor_bytes(data, stream, n);
    data += n;
    len -= n;
    cc += static_cast<uint32_t>(Aes::kBlocksPerPass);
  }
  secure_wipe(stream, sizeof stream);
  return end;
}

template uint32_t aes_ctr_run<AesCt64x2>(const AesCt64x2&, const uint8_t*, uint32_t,
                                         uint8_t*, size_t) noexcept;
template uint32_t aes_ctr_run<AesCt64>(const AesCt64&, const uint8_t*, uint32_t,
                                       uint8_t*, size_t) noexcept;

}  // namespace enveil
