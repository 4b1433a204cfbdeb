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
  const auto doc = testing::load_wycheproof("chacha20_poly1305_test.json");
  ASSERT_FALSE(doc.is_null());
  testing::VectorCounts counts;
  for (const auto& group : doc["testGroups"]) {
    const bool supported = group["keySize"] == 256 && group["ivSize"] == 96 &&
                           group["tagSize"] == 128;
    for (const auto& t : group["tests"]) {
      ++counts.run;
      SCOPED_TRACE("tcId " + std::to_string(t["tcId"].get<int>()));
      const Bytes key = from_hex(t["key"]), iv = from_hex(t["iv"]),
                  aad = from_hex(t["aad"]), msg = from_hex(t["msg"]);
      Bytes sealed = from_hex(t["ct"]);
      const Bytes tag = from_hex(t["tag"]);
      sealed.insert(sealed.end(), tag.begin(), tag.end());
      Bytes out_seal(msg.size() + 16), out_open(sealed.size() >= 16 ? sealed.size() - 16 : 0);
      const Status s = chacha20poly1305_seal(key, iv, msg, {aad}, out_seal);
      const Status o = chacha20poly1305_open(key, iv, sealed, {aad}, out_open);
      if (!supported) {
        EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
        EXPECT_EQ(o.code(), ErrorCode::kInvalidArgument);
        if (s.code() == ErrorCode::kInvalidArgument && o.code() == ErrorCode::kInvalidArgument) {
          ++counts.rejected_sizes;
          ++counts.passed;
        }
      } else if (t["result"] == "valid") {
        EXPECT_TRUE(s.ok() && o.ok());
        EXPECT_EQ(to_hex(out_seal), to_hex(sealed));
        EXPECT_EQ(to_hex(out_open), to_hex(msg));
        if (s.ok() && o.ok() && out_seal == sealed && out_open == msg) ++counts.passed;
      } else {
        EXPECT_EQ(o.code(), ErrorCode::kAuthFailed);
        EXPECT_EQ(out_open, Bytes(out_open.size(), 0)) << "output not wiped";
        if (o.code() == ErrorCode::kAuthFailed) ++counts.passed;
      }
    }
  }
  counts.print("chacha20_poly1305_test.json");
  EXPECT_EQ(counts.run, 325);
  EXPECT_EQ(counts.passed, counts.run);
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
