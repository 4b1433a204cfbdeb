// Our SHA-256 (src/sha256.h) and the HMAC-SHA256 over it (src/hmac.h)
// against FIPS 180-4 / RFC 4231 vectors and against BearSSL's br_sha256 and
// br_hmac, the oracle: every length around the block boundaries, inputs
// split across update() calls at every point, unaligned inputs, and keys of
// every length up to past the block size (hashed first).
#include "sha256.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include <bearssl_hash.h>
#include <bearssl_hmac.h>
}

#include "hmac.h"
#include "wycheproof.h"

namespace enveil {
namespace {

using testing::from_hex;
using testing::to_hex;
using Bytes = std::vector<uint8_t>;

Bytes ascii(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes random_bytes(std::mt19937& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Bytes ours(ByteView data) {
  Bytes out(kSha256Bytes);
  sha256(data, out.data());
  return out;
}

Bytes bearssl_sha256(ByteView data) {
  br_sha256_context ctx;
  br_sha256_init(&ctx);
  if (!data.empty()) br_sha256_update(&ctx, data.data(), data.size());
  Bytes out(kSha256Bytes);
  br_sha256_out(&ctx, out.data());
  return out;
}

Bytes bearssl_hmac(ByteView key, ByteView msg) {
  // An empty span may have a null data(): BearSSL memcpy()s from it.
  static const uint8_t kEmpty[1] = {0};
  br_hmac_key_context kc;
  br_hmac_key_init(&kc, &br_sha256_vtable, key.empty() ? kEmpty : key.data(),
                   key.size());
  br_hmac_context ctx;
  br_hmac_init(&ctx, &kc, 0);
  br_hmac_update(&ctx, msg.empty() ? kEmpty : msg.data(), msg.size());
  Bytes out(kHmacSha256Bytes);
  br_hmac_out(&ctx, out.data());
  return out;
}

Bytes our_hmac(ByteView key, ByteView msg) {
  Bytes out(kHmacSha256Bytes);
  EXPECT_TRUE(hmac_sha256(key, msg, out).ok());
  return out;
}

TEST(Sha256, MatchesTheFips180ExamplesIncludingAMillionAs) {
  EXPECT_EQ(to_hex(ours(Bytes{})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(ours(ascii("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(ours(ascii(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(ours(ascii("abcdefghbcdefghicdefghijdefghijkefghijklfghijklm"
                              "ghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                              "mnopqrstnopqrstu"))),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  // A million 'a', fed in 1000-byte updates (not block multiples).
  Sha256 s;
  const Bytes thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) s.update(thousand);
  Bytes out(kSha256Bytes);
  s.finish(out.data());
  EXPECT_EQ(to_hex(out),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, EqualsBearSslForEveryLengthUpTo300AndAtUnalignedAddresses) {
  std::mt19937 rng(1);
  const Bytes pool = random_bytes(rng, 300 + 8);
  for (size_t len = 0; len <= 300; ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    for (size_t offset : {size_t{0}, size_t{1}, size_t{3}, size_t{7}}) {
      const ByteView data(pool.data() + offset, len);
      EXPECT_EQ(to_hex(ours(data)), to_hex(bearssl_sha256(data)));
    }
  }
}

TEST(Sha256, GivesTheSameDigestWhateverTheUpdateSplits) {
  std::mt19937 rng(2);
  for (size_t len : {size_t{0}, size_t{55}, size_t{56}, size_t{63}, size_t{64},
                     size_t{65}, size_t{127}, size_t{128}, size_t{129},
                     size_t{200}, size_t{1000}, size_t{4097}}) {
    SCOPED_TRACE("length " + std::to_string(len));
    const Bytes data = random_bytes(rng, len);
    const std::string want = to_hex(bearssl_sha256(data));
    // Two parts, split at every point (a sample of them for long inputs).
    for (size_t cut = 0; cut <= len; cut += len > 300 ? 37 : 1) {
      Sha256 s;
      s.update(ByteView(data.data(), cut));
      s.update(ByteView(data.data() + cut, len - cut));
      Bytes out(kSha256Bytes);
      s.finish(out.data());
      ASSERT_EQ(to_hex(out), want) << "cut at " << cut;
    }
    // Many random parts, empty ones included.
    for (int round = 0; round < 20; ++round) {
      Sha256 s;
      size_t at = 0;
      while (at < len) {
        const size_t n = std::min<size_t>(len - at, rng() % 150);
        s.update(ByteView(data.data() + at, n));
        at += n;
      }
      Bytes out(kSha256Bytes);
      s.finish(out.data());
      ASSERT_EQ(to_hex(out), want);
    }
  }
}

TEST(Sha256, CompressesManyBlocksInOneCallAsOneAtATime) {
  std::mt19937 rng(3);
  const Bytes data = random_bytes(rng, 64 * 17 + 1);
  for (size_t offset : {size_t{0}, size_t{1}}) {
    Sha256State all = sha256_initial_state(), each = sha256_initial_state();
    sha256_compress(all.h, data.data() + offset, 17);
    for (size_t i = 0; i < 17; ++i) {
      sha256_compress(each.h, data.data() + offset + 64 * i, 1);
    }
    EXPECT_EQ(to_hex(reinterpret_cast<const uint8_t*>(all.h), sizeof all.h),
              to_hex(reinterpret_cast<const uint8_t*>(each.h), sizeof each.h));
  }
  // Zero blocks leave the state alone.
  Sha256State s = sha256_initial_state(), before = s;
  sha256_compress(s.h, data.data(), 0);
  EXPECT_EQ(0, std::memcmp(s.h, before.h, sizeof s.h));
}

TEST(Sha256, ResumesFromAStateAtABlockBoundary) {
  std::mt19937 rng(4);
  const Bytes data = random_bytes(rng, 64 * 3 + 20);
  Sha256State mid = sha256_initial_state();
  sha256_compress(mid.h, data.data(), 2);
  mid.bytes = 128;
  Sha256 s(mid);
  s.update(ByteView(data.data() + 128, data.size() - 128));
  Bytes out(kSha256Bytes);
  s.finish(out.data());
  EXPECT_EQ(to_hex(out), to_hex(bearssl_sha256(data)));
}

// RFC 4231 §4.2-4.8 (test case 5's tag truncated to 128 bits).
TEST(HmacSha256Ours, MatchesTheRfc4231TestCases) {
  struct Case {
    Bytes key, data;
    std::string tag;
  };
  Bytes tc4_key;
  for (uint8_t i = 1; i <= 25; ++i) tc4_key.push_back(i);
  const Case cases[] = {
      {Bytes(20, 0x0b), ascii("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {ascii("Jefe"), ascii("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {Bytes(20, 0xaa), Bytes(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {tc4_key, Bytes(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {Bytes(20, 0x0c), ascii("Test With Truncation"),
       "a3b6167473100ee06e0c796c2955552b"},
      {Bytes(131, 0xaa),
       ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {Bytes(131, 0xaa),
       ascii("This is a test using a larger than block-size key and a larger "
             "than block-size data. The key needs to be hashed before being "
             "used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.tag);
    const Bytes mac = our_hmac(c.key, c.data);
    EXPECT_EQ(to_hex(mac).substr(0, c.tag.size()), c.tag);
    const Bytes tag = from_hex(c.tag);
    EXPECT_TRUE(hmac_sha256_verify(c.key, c.data, tag).ok());
  }
}

TEST(HmacSha256Ours, EqualsBearSslForKeysOfEveryLengthUpTo200) {
  std::mt19937 rng(5);
  for (size_t key_len = 0; key_len <= 200; ++key_len) {
    SCOPED_TRACE("key length " + std::to_string(key_len));
    const Bytes key = random_bytes(rng, key_len);
    for (size_t msg_len : {size_t{0}, size_t{1}, size_t{31}, size_t{32},
                           size_t{55}, size_t{64}, size_t{119}, size_t{1024}}) {
      const Bytes msg = random_bytes(rng, msg_len);
      ASSERT_EQ(to_hex(our_hmac(key, msg)), to_hex(bearssl_hmac(key, msg)))
          << "message length " << msg_len;
    }
  }
}

TEST(HmacSha256Ours, EqualsBearSslWhateverTheUpdateSplitsUnderACachedKey) {
  std::mt19937 rng(6);
  const Bytes key = random_bytes(rng, 32);
  const HmacSha256Key cached(key);
  for (size_t len = 0; len <= 260; ++len) {
    const Bytes msg = random_bytes(rng, len);
    const std::string want = to_hex(bearssl_hmac(key, msg));
    const size_t cut1 = len ? rng() % (len + 1) : 0;
    const size_t cut2 = cut1 + (len - cut1 ? rng() % (len - cut1 + 1) : 0);
    Bytes out(kHmacSha256Bytes);
    cached.mac({ByteView(msg.data(), cut1), ByteView(msg.data() + cut1, cut2 - cut1),
                ByteView(msg.data() + cut2, len - cut2)},
               out.data());
    ASSERT_EQ(to_hex(out), want) << "length " << len;
    // The key's cached pads are not consumed by use.
    ASSERT_TRUE(hmac_sha256(cached, msg, out).ok());
    ASSERT_EQ(to_hex(out), want) << "length " << len;
  }
}

}  // namespace
}  // namespace enveil
