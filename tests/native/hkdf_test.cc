#include "hkdf.h"

#include <gtest/gtest.h>

#include <vector>

#include "wycheproof.h"

namespace enveil {
namespace {

using testing::from_hex;
using testing::to_hex;
using Bytes = std::vector<uint8_t>;

TEST(HkdfSha256, ReplaysWycheproofVectorsIncludingSizeTooLarge) {
  const auto doc = testing::load_wycheproof("hkdf_sha256_test.json");
  ASSERT_FALSE(doc.is_null());
  testing::VectorCounts counts;
  for (const auto& group : doc["testGroups"]) {
    for (const auto& t : group["tests"]) {
      ++counts.run;
      SCOPED_TRACE("tcId " + std::to_string(t["tcId"].get<int>()));
      Bytes okm(t["size"].get<size_t>());
      const Status s = hkdf_sha256(from_hex(t["ikm"]), from_hex(t["salt"]),
                                   from_hex(t["info"]), okm);
      if (t["result"] == "valid") {
        ASSERT_TRUE(s.ok());
        EXPECT_EQ(to_hex(okm), t["okm"].get<std::string>());
        if (to_hex(okm) == t["okm"].get<std::string>()) ++counts.passed;
      } else {
        EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
        if (s.code() == ErrorCode::kInvalidArgument) ++counts.passed;
      }
    }
  }
  counts.print("hkdf_sha256_test.json");
  EXPECT_EQ(counts.run, 86);
  EXPECT_EQ(counts.passed, counts.run);
}

TEST(HkdfSha256, MatchesRfc5869TestCase1) {
  const Bytes ikm(22, 0x0b);
  const Bytes salt = from_hex("000102030405060708090a0b0c");
  const Bytes info = from_hex("f0f1f2f3f4f5f6f7f8f9");
  Bytes prk(32), okm(42);
  ASSERT_TRUE(hkdf_sha256_extract(salt, ikm, prk).ok());
  EXPECT_EQ(to_hex(prk),
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  ASSERT_TRUE(hkdf_sha256(ikm, salt, info, okm).ok());
  EXPECT_EQ(to_hex(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
}

TEST(HkdfSha256, ExpandFromPrecomputedKeyJoinsInfoParts) {
  const Bytes prk(32, 3), a = {'a', 'b'}, b = {'c'};
  Bytes joined(50), parts(50);
  ASSERT_TRUE(hkdf_sha256_expand(HmacSha256Key(prk), {Bytes{'a', 'b', 'c'}},
                                 joined)
                  .ok());
  ASSERT_TRUE(hkdf_sha256_expand(HmacSha256Key(prk), {a, b}, parts).ok());
  EXPECT_EQ(joined, parts);
  Bytes empty;
  EXPECT_EQ(hkdf_sha256_expand(HmacSha256Key(prk), {a}, empty).code(),
            ErrorCode::kInvalidArgument);
}

TEST(HkdfSha256, ExpandUnderAnInvalidKeyIsLocked) {
  HmacSha256Key moved(Bytes(32, 3));
  HmacSha256Key taken = std::move(moved);
  Bytes out(42, 0xAA);
  EXPECT_EQ(hkdf_sha256_expand(HmacSha256Key(), {Bytes{'i'}}, out).code(),
            ErrorCode::kLocked);
  EXPECT_EQ(hkdf_sha256_expand(moved, {Bytes{'i'}}, out).code(),
            ErrorCode::kLocked);
  EXPECT_EQ(out, Bytes(42, 0xAA)) << "nothing written";
  EXPECT_TRUE(hkdf_sha256_expand(taken, {Bytes{'i'}}, out).ok());
}

}  // namespace
}  // namespace enveil
