// Differential target for our SHA-256 (src/sha256.h) and the HMAC-SHA256
// over it (src/hmac.h), with BearSSL's br_sha256 and br_hmac as the oracle.
//
// Input, read front to back (fuzz_common.h's Reader: missing bytes are 0):
//   u8   flags: bit 0 expand the message from a 16-bit seed, bit 1 expand
//        the key the same way, bit 2 read the message at an odd address
//   u16  message length (mod 8192), u8 key length (0..255: keys longer than
//        the 64-byte block are hashed first), u8 number of update splits
//        (mod 8), then that many u16 split points, then the key bytes, then
//        the message (the rest of the input, repeated to the length, or
//        expanded from its first two bytes)
//
// Checks:
//   - sha256() and Sha256 fed in the split parts equal br_sha256; the
//     message's whole blocks through sha256_compress in one call, then the
//     tail through a Sha256 resumed from that state, give the same digest;
//   - hmac_sha256 (key as given), HmacSha256Key::mac over the split parts
//     and HmacSha256 fed part by part all equal br_hmac over br_sha256;
//     hmac_sha256_verify accepts the tag and its 16-byte prefix and rejects
//     the tag with its last byte changed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include <bearssl_hash.h>
#include <bearssl_hmac.h>
}

#include "fuzz_common.h"
#include "hmac.h"
#include "sha256.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

constexpr size_t kMaxMessage = 8192;

Bytes fill(ByteView src, size_t len, bool expand) {
  Bytes out(len);
  if (expand || src.empty()) {
    uint32_t x = 0x9E3779B9u ^ (src.size() >= 2 ? (src[0] << 8 | src[1]) : 0);
    for (auto& b : out) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      b = static_cast<uint8_t>(x >> 24);
    }
  } else {
    for (size_t i = 0; i < len; ++i) out[i] = src[i % src.size()];
  }
  return out;
}

Bytes bearssl_sha256(ByteView m) {
  br_sha256_context c;
  br_sha256_init(&c);
  br_sha256_update(&c, m.data(), m.size());
  Bytes out(kSha256Bytes);
  br_sha256_out(&c, out.data());
  return out;
}

Bytes bearssl_hmac(ByteView key, ByteView m) {
  static const uint8_t kEmpty[1] = {0};
  br_hmac_key_context kc;
  br_hmac_key_init(&kc, &br_sha256_vtable, key.empty() ? kEmpty : key.data(),
                   key.size());
  br_hmac_context c;
  br_hmac_init(&c, &kc, 0);
  br_hmac_update(&c, m.empty() ? kEmpty : m.data(), m.size());
  Bytes out(kHmacSha256Bytes);
  br_hmac_out(&c, out.data());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  const uint8_t flags = in.u8();
  const size_t msg_len = in.u16() % (kMaxMessage + 1);
  const size_t key_len = in.u8();
  const size_t n_splits = in.u8() % 8;
  std::vector<size_t> cuts;
  for (size_t i = 0; i < n_splits; ++i) cuts.push_back(in.u16() % (msg_len + 1));
  cuts.push_back(0);
  cuts.push_back(msg_len);
  std::sort(cuts.begin(), cuts.end());
  const Bytes key = fill(in.bytes(std::min(key_len, in.remaining())), key_len, flags & 2);
  const Bytes msg_bytes = fill(in.rest(), msg_len, flags & 1);
  // At an odd address when asked: the compression reads words unaligned.
  Bytes storage(msg_len + 1);
  const size_t offset = flags & 4 ? 1 : 0;
  if (msg_len) std::memcpy(storage.data() + offset, msg_bytes.data(), msg_len);
  const ByteView msg(storage.data() + offset, msg_len);
  std::vector<ByteView> parts;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    parts.push_back(msg.subspan(cuts[i], cuts[i + 1] - cuts[i]));
  }

  // SHA-256.
  const Bytes want = bearssl_sha256(msg);
  Bytes got(kSha256Bytes);
  sha256(msg, got.data());
  FUZZ_CHECK(got == want);
  {
    Sha256 s;
    for (ByteView p : parts) s.update(p);
    s.finish(got.data());
    FUZZ_CHECK(got == want);
  }
  {
    const size_t blocks = msg_len / kSha256BlockBytes;
    Sha256State st = sha256_initial_state();
    sha256_compress(st.h, msg.data(), blocks);
    st.bytes = blocks * kSha256BlockBytes;
    Sha256 s(st);
    s.update(msg.subspan(blocks * kSha256BlockBytes));
    s.finish(got.data());
    FUZZ_CHECK(got == want);
  }

  // HMAC-SHA256.
  const Bytes want_mac = bearssl_hmac(key, msg);
  Bytes mac(kHmacSha256Bytes);
  FUZZ_CHECK(hmac_sha256(key, msg, mac).ok());
  FUZZ_CHECK(mac == want_mac);
  const HmacSha256Key k{ByteView(key)};
  FUZZ_CHECK(k.valid());
  {
    HmacSha256 h(k);
    for (ByteView p : parts) h.update(p);
    h.finish(mac.data());
    FUZZ_CHECK(mac == want_mac);
  }
  {
    // mac() over at most three parts: the first cut, the rest up to the
    // last cut, the tail.
    const size_t a = cuts[1], b = std::max(a, cuts[cuts.size() - 2]);
    k.mac({msg.first(a), msg.subspan(a, b - a), msg.subspan(b)}, mac.data());
    FUZZ_CHECK(mac == want_mac);
  }
  FUZZ_CHECK(hmac_sha256_verify(k, msg, want_mac).ok());
  FUZZ_CHECK(hmac_sha256_verify(key, msg, ByteView(want_mac).first(16)).ok());
  Bytes bad = want_mac;
  bad[31] ^= static_cast<uint8_t>(1u << (flags >> 5));
  FUZZ_CHECK(hmac_sha256_verify(k, msg, bad).code() == ErrorCode::kAuthFailed);
  return 0;
}
