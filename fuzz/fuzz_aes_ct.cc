// Differential target for our AES kernel (src/aes_ct64x2.h) and our GCM
// framing (src/aes_gcm.cc), with BearSSL as the oracle.
//
// Input, read front to back (fuzz_common.h's Reader: missing bytes are 0):
//   u8   flags: bits 0-1 key size (16, 24, 32, 32), bit 2 counter near 2^32,
//        bit 3 GCM seal in place, bit 4 expand the data from a 16-bit seed
//   key (key size bytes), iv (12 bytes), u32 counter, u16 data length
//   (mod 8192), u8 + u8 AAD split points, u8 AAD length (mod 200), AAD,
//   u16 tamper position, u8 tamper mask, then the data (the rest of the
//   input, repeated to the length, or expanded from its first two bytes)
//
// Checks:
//   - CTR: AesCt64x2 and BearSSL's aes_ct64 through our driver give exactly
//     br_aes_ct64_ctr_run's output and returned counter, for every key size,
//     counter (wrapping at 2^32) and length; and running the data in two
//     calls (the first a whole number of blocks, continuing at the counter
//     the first returned) gives the same as one call.
//   - GCM (AES-256, the key's first 32 bytes): aes256gcm_seal_with with each
//     kernel equals BearSSL's br_gcm over aes_ct64 and ghash_ctmul64, with
//     the AAD in three parts, in place or not; aes256gcm_seal is the default
//     kernel's; each kernel opens it (in place or not), and a changed byte of
//     the sealed record is AUTH_FAILED with the output wiped.
#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" {
#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_hash.h>
}

#include "aes_ct64x2.h"
#include "aes_gcm.h"
#include "fuzz_common.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

constexpr size_t kMaxData = 8192;

uint32_t bearssl_ctr(ByteView key, const uint8_t* iv, uint32_t cc, Bytes& data) {
  br_aes_ct64_ctr_keys keys;
  br_aes_ct64_ctr_init(&keys, key.data(), key.size());
  return br_aes_ct64_ctr_run(&keys, iv, cc, data.data(), data.size());
}

template <class Aes>
void check_ctr(ByteView key, const uint8_t* iv, uint32_t cc, const Bytes& data,
               const Bytes& want, uint32_t want_cc, size_t split) {
  Aes aes;
  aes.init(key.data(), key.size());
  FUZZ_CHECK(aes.rounds() != 0);
  Bytes got = data;
  FUZZ_CHECK(aes_ctr_run(aes, iv, cc, got.data(), got.size()) == want_cc);
  FUZZ_CHECK(got == want);
  // Two calls, the first of whole blocks, continue where the first stopped.
  Bytes parts = data;
  const size_t first = split - split % kAesBlockBytes;
  const uint32_t next = aes_ctr_run(aes, iv, cc, parts.data(), first);
  FUZZ_CHECK(next == cc + static_cast<uint32_t>(first / kAesBlockBytes));
  FUZZ_CHECK(aes_ctr_run(aes, iv, next, parts.data() + first, parts.size() - first) == want_cc);
  FUZZ_CHECK(parts == want);
}

Bytes bearssl_gcm_seal(ByteView key, ByteView nonce, const Bytes& plaintext, ByteView aad) {
  br_aes_ct64_ctr_keys keys;
  br_aes_ct64_ctr_init(&keys, key.data(), key.size());
  br_gcm_context gcm;
  br_gcm_init(&gcm, &keys.vtable, br_ghash_ctmul64);
  br_gcm_reset(&gcm, nonce.data(), nonce.size());
  if (!aad.empty()) br_gcm_aad_inject(&gcm, aad.data(), aad.size());
  br_gcm_flip(&gcm);
  Bytes out = plaintext;
  out.resize(plaintext.size() + kAesGcmTagBytes);
  br_gcm_run(&gcm, 1, out.data(), plaintext.size());
  br_gcm_get_tag(&gcm, out.data() + plaintext.size());
  return out;
}

void check_gcm(AesKernel kernel, ByteView key, ByteView nonce, const Bytes& plaintext,
               ByteView aad, size_t a, size_t b, bool in_place, const Bytes& want,
               size_t tamper_at, uint8_t tamper_mask) {
  check_aead_kernel(
      [&](ByteView in, std::initializer_list<ByteView> parts, MutableByteView out) {
        return aes256gcm_seal_with(kernel, key, nonce, in, parts, out);
      },
      [&](ByteView in, std::initializer_list<ByteView> parts, MutableByteView out) {
        return aes256gcm_open_with(kernel, key, nonce, in, parts, out);
      },
      kAesGcmTagBytes, plaintext, aad, a, b, in_place, want, tamper_at, tamper_mask);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  const uint8_t flags = in.u8();
  static constexpr size_t kKeySizes[4] = {16, 24, 32, 32};
  const size_t key_len = kKeySizes[flags & 3];
  uint8_t key[32] = {0}, iv[12] = {0};
  const ByteView key_in = in.bytes(key_len);
  std::memcpy(key, key_in.data(), key_in.size());
  const ByteView iv_in = in.bytes(sizeof iv);
  std::memcpy(iv, iv_in.data(), iv_in.size());
  uint32_t cc = in.u32();
  if (flags & 4) cc = 0xFFFFFFFFu - (cc & 0x3F);  // wraps within the data
  const size_t len = in.u16() % kMaxData;
  const uint8_t split_a = in.u8(), split_b = in.u8();
  const ByteView aad_in = in.bytes(in.u8() % 200);
  const Bytes aad(aad_in.begin(), aad_in.end());
  const size_t tamper_at = in.u16();
  const uint8_t tamper_mask = in.u8();
  const Bytes plaintext = make_data(in, len, flags & 16);

  // CTR, any key size.
  const ByteView k(key, key_len);
  Bytes want = plaintext;
  const uint32_t want_cc = bearssl_ctr(k, iv, cc, want);
  const size_t split = len ? (size_t{split_a} << 8 | split_b) % (len + 1) : 0;
  check_ctr<AesCt64x2>(k, iv, cc, plaintext, want, want_cc, split);
  check_ctr<AesCt64>(k, iv, cc, plaintext, want, want_cc, split);

  // GCM with AES-256.
  const ByteView gcm_key(key, kAesGcmKeyBytes);
  const ByteView nonce(iv, sizeof iv);
  const Bytes gcm_want = bearssl_gcm_seal(gcm_key, nonce, plaintext, aad);
  size_t a = aad.empty() ? 0 : split_a % (aad.size() + 1);
  size_t b = aad.empty() ? 0 : split_b % (aad.size() + 1);
  if (a > b) std::swap(a, b);
  const bool in_place = flags & 8;
  check_gcm(AesKernel::kCt64x2, gcm_key, nonce, plaintext, aad, a, b, in_place, gcm_want,
            tamper_at, tamper_mask);
  check_gcm(AesKernel::kBearSslCt64, gcm_key, nonce, plaintext, aad, a, b, in_place,
            gcm_want, tamper_at, tamper_mask);
  Bytes sealed(len + kAesGcmTagBytes);
  FUZZ_CHECK(aes256gcm_seal(gcm_key, nonce, plaintext, ByteView(aad), sealed).ok());
  FUZZ_CHECK(sealed == gcm_want);
  return 0;
}
