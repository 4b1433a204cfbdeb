// HKDF-SHA256 and HMAC-SHA256 length handling.
//
// Input: u16 length selector, u16 split, u8 tag length, u8 tag mode, u8 ikm
// length, u8 salt length, u8 info length, ikm, salt, info; the rest is the
// HMAC message (the HMAC key is the ikm).
// Invariants:
//   - hkdf_sha256 / hkdf_sha256_expand accept exactly 1..8160 output bytes
//     (0 and > 8160 are kInvalidArgument); extract exactly 32;
//   - the output equals an independent RFC 5869 computation from one-shot
//     hmac_sha256 calls (an empty salt being 32 zero bytes), equals Expand
//     with the info given in several parts, and a shorter output is a prefix
//     of a longer one;
//   - hmac_sha256 accepts exactly a 32-byte output; the MAC equals the
//     streaming one with the message split in two, the one under the key
//     zero-padded to 64 bytes, and (keys > 64 bytes) the one under SHA-256 of
//     the key;
//   - hmac_sha256_verify with tag lengths 0..40: kInvalidArgument outside
//     [16, 32], otherwise Ok exactly when the tag is the MAC's prefix, else
//     kAuthFailed.
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include <bearssl_hash.h>
}

#include "fuzz_common.h"
#include "hkdf.h"
#include "hmac.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

Bytes cat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// memcpy without the null-pointer UB of empty vectors and spans.
void copy(uint8_t* dst, const uint8_t* src, size_t n) {
  if (n > 0) std::memcpy(dst, src, n);
}

Bytes mac_of(ByteView key, ByteView msg) {
  Bytes out(32);
  FUZZ_CHECK(hmac_sha256(key, msg, out).ok());
  return out;
}

// RFC 5869 §2.2-2.3 from one-shot HMACs.
Bytes reference_hkdf(ByteView ikm, ByteView salt, ByteView info, size_t len) {
  const Bytes zeros(32, 0);
  const Bytes prk = mac_of(salt.empty() ? bv(zeros) : salt, ikm);
  Bytes okm, t;
  for (uint8_t i = 1; okm.size() < len; ++i) {
    t = mac_of(prk, cat({bv(t), info, ByteView(&i, 1)}));
    okm.insert(okm.end(), t.begin(), t.end());
  }
  okm.resize(len);
  return okm;
}

// Mostly short outputs (cheap: 0..128 bytes), some anywhere up to a little
// past 8160, some at the 8160/8161 edge, some far too long (refused at once).
size_t pick_length(uint16_t raw) {
  switch (raw >> 12) {
    case 14: return raw % 8200;
    case 15: return (raw & 1) ? 8155 + raw % 12 : raw & 0x7FFF;  // 28672..
    default: return raw % 129;  // 0 included
  }
}

void fuzz_hkdf(ByteView ikm, ByteView salt, ByteView info, size_t len,
               uint16_t split) {
  const bool valid = len >= 1 && len <= kHkdfSha256MaxOutputBytes;
  Bytes out(len, 0xA5);
  const Status s = hkdf_sha256(ikm, salt, info, out);
  FUZZ_CHECK(s.ok() == valid);

  uint8_t prk[32];
  FUZZ_CHECK(hkdf_sha256_extract(salt, ikm, prk).ok());
  FUZZ_CHECK(equal(ByteView(prk), mac_of(salt.empty() ? bv(Bytes(32, 0)) : salt, ikm)));
  if (len != 32) {
    Bytes wrong(len);
    FUZZ_CHECK(hkdf_sha256_extract(salt, ikm, wrong).code() ==
               ErrorCode::kInvalidArgument);
  }
  // Expand straight from the PRK, with the info given in parts (their
  // concatenation is the info).
  const HmacSha256Key prk_key{ByteView(prk)};
  const size_t cut = split % (info.size() + 1);
  Bytes expanded(len, 0x5A);
  const Status e = hkdf_sha256_expand(
      prk_key, {info.first(cut), ByteView(), info.subspan(cut)}, expanded);
  FUZZ_CHECK(e.ok() == valid);
  if (!valid) {
    FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument);
    FUZZ_CHECK(e.code() == ErrorCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(expanded == out);
  FUZZ_CHECK(out == reference_hkdf(ikm, salt, info, len));

  // Two lengths, one stream: the shorter output is a prefix of the longer.
  // Up to two blocks past len, so both orders and block edges are met (for
  // long outputs only a short prefix, to keep executions fast).
  const size_t len2 = len > 512 ? split % 97
                                : split % (len + 65);
  if (len2 >= 1) {
    Bytes other(len2);
    FUZZ_CHECK(hkdf_sha256(ikm, salt, info, other).ok());
    const size_t common = std::min(len, len2);
    FUZZ_CHECK(equal(ByteView(other).first(common), ByteView(out).first(common)));
  }
}

void fuzz_hmac(ByteView key, ByteView msg, size_t tag_len, uint8_t tag_mode,
               uint16_t split) {
  const Bytes mac = mac_of(key, msg);
  if (tag_len != 32) {
    Bytes wrong(tag_len);
    FUZZ_CHECK(hmac_sha256(key, msg, wrong).code() == ErrorCode::kInvalidArgument);
  }

  // Streaming, in two pieces.
  const size_t cut = split % (msg.size() + 1);
  const HmacSha256Key k(key);
  uint8_t streamed[32];
  {
    HmacSha256 h(k);
    h.update(msg.first(cut));
    h.update(msg.subspan(cut));
    h.finish(streamed);
  }
  FUZZ_CHECK(equal(ByteView(streamed), mac));
  uint8_t parts[32];
  k.mac({msg.first(cut), ByteView(), msg.subspan(cut)}, parts);
  FUZZ_CHECK(equal(ByteView(parts), mac));

  if (key.size() <= 64) {
    // HMAC pads the key with zeros to the block size.
    Bytes padded(key.begin(), key.end());
    padded.resize(64, 0);
    FUZZ_CHECK(mac_of(padded, msg) == mac);
  } else {
    // Longer keys are hashed first.
    br_sha256_context sha;
    br_sha256_init(&sha);
    br_sha256_update(&sha, key.data(), key.size());
    uint8_t digest[32];
    br_sha256_out(&sha, digest);
    FUZZ_CHECK(mac_of(ByteView(digest), msg) == mac);
  }

  // Verify with tags of 0..40 bytes.
  Bytes tag(tag_len, 0);
  switch (tag_mode % 4) {
    case 0:  // the MAC's prefix (zero-padded past 32)
      copy(tag.data(), mac.data(), std::min<size_t>(tag_len, 32));
      break;
    case 1:  // the prefix with one bit flipped
      copy(tag.data(), mac.data(), std::min<size_t>(tag_len, 32));
      if (tag_len > 0) tag[(tag_mode >> 2) % tag_len] ^= static_cast<uint8_t>(1u << (split % 8));
      break;
    case 2:  // bytes from the input
      copy(tag.data(), msg.data(), std::min(tag_len, msg.size()));
      break;
    case 3: {  // the MAC under another key
      Bytes other_key(key.begin(), key.end());
      other_key.push_back(1);
      const Bytes other = mac_of(other_key, msg);
      copy(tag.data(), other.data(), std::min<size_t>(tag_len, 32));
      break;
    }
  }
  const Status v = hmac_sha256_verify(key, msg, tag);
  if (tag_len < kHmacSha256MinVerifyBytes || tag_len > kHmacSha256Bytes) {
    FUZZ_CHECK(v.code() == ErrorCode::kInvalidArgument);
  } else if (equal(ByteView(tag), ByteView(mac).first(tag_len))) {
    FUZZ_CHECK(v.ok());
  } else {
    FUZZ_CHECK(v.code() == ErrorCode::kAuthFailed);
  }
  // The full MAC always verifies.
  FUZZ_CHECK(hmac_sha256_verify(key, msg, mac).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r(data, size);
  const uint16_t len_raw = r.u16();
  const uint16_t split = r.u16();
  const size_t tag_len = r.u8() % 41;
  const uint8_t tag_mode = r.u8();
  const uint8_t ikm_len = r.u8();
  const uint8_t salt_len = r.u8();
  const uint8_t info_len = r.u8();
  const ByteView ikm = r.bytes(ikm_len);
  const ByteView salt = r.bytes(salt_len);
  const ByteView info = r.bytes(info_len);
  const ByteView msg = r.rest();
  fuzz_hkdf(ikm, salt, info, pick_length(len_raw), split);
  fuzz_hmac(ikm, msg, tag_len, tag_mode, split);
  return 0;
}
