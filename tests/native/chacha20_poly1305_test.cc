#include "chacha20_poly1305.h"

#include <gtest/gtest.h>

#include <vector>

#include "keyring.h"
#include "record_format.h"
#include "wycheproof.h"

namespace enveil {
namespace {

using testing::from_hex;
using testing::to_hex;
using Bytes = std::vector<uint8_t>;

TEST(ChaCha20Poly1305, ReplaysWycheproofVectorsAndRejectsUnsupportedSizes) {
  const auto counts = testing::replay_aead(
      "chacha20_poly1305_test.json",
      [](const Bytes& k, const Bytes& n, const Bytes& in, const Bytes& aad, Bytes& out) {
        return static_cast<int>(chacha20poly1305_seal(k, n, in, {ByteView(aad)}, out).code());
      },
      [](const Bytes& k, const Bytes& n, const Bytes& in, const Bytes& aad, Bytes& out) {
        return static_cast<int>(chacha20poly1305_open(k, n, in, {ByteView(aad)}, out).code());
      });
  EXPECT_EQ(counts.run, 325);
  EXPECT_EQ(counts.passed, counts.run);
  EXPECT_EQ(counts.run - counts.rejected_sizes, 316);
}

TEST(ChaCha20Poly1305, RecordSuite2RoundTripsAndFailsOnEveryFlip) {
  const HmacSha256Key key(Bytes(32, 4));
  const Bytes ctx = {'c'}, pt = {'h', 'i', '!', '!'};
  Bytes rec(pt.size() + kRecordOverheadBytes), out(pt.size());
  ASSERT_TRUE(record_seal(key, 3, ctx, pt, rec, kSuiteChaCha20Poly1305Committed).ok());
  EXPECT_EQ(rec[1], 0x02);
  ASSERT_TRUE(record_open(key, rec, ctx, out).ok());
  EXPECT_EQ(out, pt);
  for (size_t i = 0; i < rec.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = rec;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      ASSERT_EQ(record_open(key, bad, ctx, out).code(), ErrorCode::kAuthFailed) << i << "/" << bit;
    }
  }
  Bytes other = rec;
  other[1] = 0x01;  // the same bytes claimed as the AES suite
  EXPECT_EQ(record_open(key, other, ctx, out).code(), ErrorCode::kAuthFailed);
  EXPECT_EQ(record_seal(key, 3, ctx, pt, rec, 0x03).code(), ErrorCode::kInvalidArgument);
}

TEST(ChaCha20Poly1305, KeyringSealsWithItsSuiteAndOpensBoth) {
  const Bytes kek(32, 8);
  Keyring aes = Keyring::create(kek, "s", "k").value();
  aes.rotate(KeyKind::kData, "c", 1).value();
  Bytes a(1 + kRecordOverheadBytes);
  ASSERT_TRUE(aes.encrypt("c", Bytes{'x'}, Bytes{'1'}, a).ok());
  EXPECT_EQ(a[1], kSuiteAes256GcmCommitted);
  // The same keys under the ChaCha suite: load them into a second keyring.
  Keyring chacha = Keyring::create(kek, "s", "k", kSuiteChaCha20Poly1305Committed).value();
  const KeyEntryInfo& e = aes.entry(0);
  ASSERT_TRUE(chacha.import_entry(e.id, e.kind, e.scope, e.status, 1, e.wrapped).ok());
  Bytes c(1 + kRecordOverheadBytes), out(1);
  ASSERT_TRUE(chacha.encrypt("c", Bytes{'x'}, Bytes{'2'}, c).ok());
  EXPECT_EQ(c[1], kSuiteChaCha20Poly1305Committed);
  ASSERT_TRUE(chacha.decrypt(a, Bytes{'x'}, out).ok());
  EXPECT_EQ(out[0], '1');
  ASSERT_TRUE(aes.decrypt(c, Bytes{'x'}, out).ok());
  EXPECT_EQ(out[0], '2');
  EXPECT_FALSE(Keyring::create(kek, "s", "k", 7).ok());
}

}  // namespace
}  // namespace enveil
