// Differential target for our ChaCha20 kernel (src/chacha20_x4.h) and the
// ChaCha20-Poly1305 framing over it (src/chacha20_poly1305.cc), with
// BearSSL as the oracle.
//
// Input, read front to back (fuzz_common.h's Reader: missing bytes are 0):
//   u8   flags: bit 0 counter near 2^32, bit 1 AEAD seal in place, bit 2
//        expand the data from a 16-bit seed
//   key (32 bytes), iv (12 bytes), u32 counter, u16 data length (mod 8192),
//   u8 + u8 AAD split points, u8 AAD length (mod 200), AAD, u16 tamper
//   position, u8 tamper mask, then the data (the rest of the input, repeated
//   to the length, or expanded from its first two bytes)
//
// Checks:
//   - chacha20_x4_run gives exactly br_chacha20_ct_run's output and returned
//     counter for any key, nonce, counter (wrapping at 2^32) and length, in
//     place; run as two calls (the first a whole number of blocks, the second
//     at the counter the first returned) it gives the same;
//     chacha20_x4_keystream is BearSSL's key stream of four blocks.
//   - ChaCha20-Poly1305 seal through each kernel by name equals
//     br_poly1305_ctmul_run over br_chacha20_ct_run (AAD in three parts, in
//     place or not); chacha20poly1305_seal is the default kernel's; each
//     kernel opens it, and a changed byte of the sealed message is
//     AUTH_FAILED with the output wiped.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

extern "C" {
#include <bearssl_block.h>
}

#include "chacha20_poly1305.h"
#include "chacha20_x4.h"
#include "fuzz_common.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

constexpr size_t kMaxData = 8192;

void check_stream(const uint8_t* key, const uint8_t* iv, uint32_t cc, const Bytes& data,
                  size_t split) {
  Bytes want = data;
  const uint32_t want_cc = br_chacha20_ct_run(key, iv, cc, want.data(), want.size());
  Bytes got = data;
  FUZZ_CHECK(chacha20_x4_run(key, iv, cc, got.data(), got.size()) == want_cc);
  FUZZ_CHECK(got == want);
  // Two calls, the first of whole blocks, continue where the first stopped.
  Bytes parts = data;
  const size_t first = split - split % kChaChaBlockBytes;
  const uint32_t next = chacha20_x4_run(key, iv, cc, parts.data(), first);
  FUZZ_CHECK(next == cc + static_cast<uint32_t>(first / kChaChaBlockBytes));
  FUZZ_CHECK(chacha20_x4_run(key, iv, next, parts.data() + first, parts.size() - first) ==
             want_cc);
  FUZZ_CHECK(parts == want);

  Bytes batch_want(kChaChaX4BatchBytes, 0), batch(kChaChaX4BatchBytes, 0x5A);
  br_chacha20_ct_run(key, iv, cc, batch_want.data(), batch_want.size());
  chacha20_x4_keystream(key, iv, cc, batch.data());
  FUZZ_CHECK(batch == batch_want);
}

// BearSSL's ChaCha20-Poly1305, the oracle: ciphertext ‖ tag.
Bytes bearssl_seal(const uint8_t* key, const uint8_t* nonce, const Bytes& plaintext,
                   ByteView aad) {
  Bytes out = plaintext;
  out.resize(plaintext.size() + kChaChaPolyTagBytes);
  br_poly1305_ctmul_run(key, nonce, out.data(), plaintext.size(), aad.data(), aad.size(),
                        out.data() + plaintext.size(), br_chacha20_ct_run, 1);
  return out;
}

void check_aead(ChaChaKernel kernel, ByteView key, ByteView nonce, const Bytes& plaintext,
                ByteView aad, size_t a, size_t b, bool in_place, const Bytes& want,
                size_t tamper_at, uint8_t tamper_mask) {
  check_aead_kernel(
      [&](ByteView in, std::initializer_list<ByteView> parts, MutableByteView out) {
        return chacha20poly1305_seal_with(kernel, key, nonce, in, parts, out);
      },
      [&](ByteView in, std::initializer_list<ByteView> parts, MutableByteView out) {
        return chacha20poly1305_open_with(kernel, key, nonce, in, parts, out);
      },
      kChaChaPolyTagBytes, plaintext, aad, a, b, in_place, want, tamper_at, tamper_mask);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  const uint8_t flags = in.u8();
  uint8_t key[kChaChaPolyKeyBytes] = {0}, iv[kChaChaPolyNonceBytes] = {0};
  const ByteView key_in = in.bytes(sizeof key);
  std::memcpy(key, key_in.data(), key_in.size());
  const ByteView iv_in = in.bytes(sizeof iv);
  std::memcpy(iv, iv_in.data(), iv_in.size());
  uint32_t cc = in.u32();
  if (flags & 1) cc = 0xFFFFFFFFu - (cc & 0xFF);  // wraps within the data
  const size_t len = in.u16() % kMaxData;
  const uint8_t split_a = in.u8(), split_b = in.u8();
  const ByteView aad_in = in.bytes(in.u8() % 200);
  const Bytes aad(aad_in.begin(), aad_in.end());
  const size_t tamper_at = in.u16();
  const uint8_t tamper_mask = in.u8();
  const Bytes plaintext = make_data(in, len, flags & 4);

  const size_t split = len ? (size_t{split_a} << 8 | split_b) % (len + 1) : 0;
  check_stream(key, iv, cc, plaintext, split);

  const Bytes want = bearssl_seal(key, iv, plaintext, ByteView(aad));
  size_t a = aad.empty() ? 0 : split_a % (aad.size() + 1);
  size_t b = aad.empty() ? 0 : split_b % (aad.size() + 1);
  if (a > b) std::swap(a, b);
  const bool in_place = flags & 2;
  const ByteView k(key, sizeof key), nonce(iv, sizeof iv);
  check_aead(ChaChaKernel::kX4, k, nonce, plaintext, aad, a, b, in_place, want, tamper_at,
             tamper_mask);
  check_aead(ChaChaKernel::kBearSslCt, k, nonce, plaintext, aad, a, b, in_place, want,
             tamper_at, tamper_mask);
  Bytes sealed(len + kChaChaPolyTagBytes);
  FUZZ_CHECK(chacha20poly1305_seal(k, nonce, plaintext, {ByteView(aad)}, sealed).ok());
  FUZZ_CHECK(sealed == want);
  return 0;
}
