#include "hmac.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "wycheproof.h"

namespace enveil {
namespace {

using testing::from_hex;
using testing::to_hex;
using Bytes = std::vector<uint8_t>;

TEST(HmacSha256, ReplaysWycheproofVectorsFullAndTruncated) {
  const auto doc = testing::load_wycheproof("hmac_sha256_test.json");
  ASSERT_FALSE(doc.is_null());
  testing::VectorCounts counts;
  for (const auto& group : doc["testGroups"]) {
    const size_t tag_bytes = group["tagSize"].get<size_t>() / 8;
    for (const auto& t : group["tests"]) {
      ++counts.run;
      SCOPED_TRACE("tcId " + std::to_string(t["tcId"].get<int>()));
      const Bytes key = from_hex(t["key"]), msg = from_hex(t["msg"]),
                  tag = from_hex(t["tag"]);
      const bool valid = t["result"] == "valid";
      const Status verified = hmac_sha256_verify(key, msg, tag);
      bool pass = valid ? verified.ok()
                        : verified.code() == ErrorCode::kAuthFailed;
      EXPECT_TRUE(pass) << "verify gave " << static_cast<int>(verified.code());
      if (tag_bytes == kHmacSha256Bytes) {
        Bytes mac(32);
        ASSERT_TRUE(hmac_sha256(key, msg, mac).ok());
        const bool same = mac == tag;
        EXPECT_EQ(same, valid);
        pass = pass && same == valid;
      }
      if (pass) ++counts.passed;
    }
  }
  counts.print("hmac_sha256_test.json");
  EXPECT_EQ(counts.run, 174);
  EXPECT_EQ(counts.passed, counts.run);
}

TEST(HmacSha256, PrecomputedKeyMatchesOneShotOverParts) {
  const Bytes key(40, 0x42), a = {1, 2, 3}, b = {4, 5};
  Bytes whole = a;
  whole.insert(whole.end(), b.begin(), b.end());
  Bytes one(32);
  ASSERT_TRUE(hmac_sha256(key, whole, one).ok());
  uint8_t parts[32];
  HmacSha256Key(key).mac({a, b}, parts);
  EXPECT_EQ(to_hex(one), to_hex(parts, 32));
}

TEST(HmacSha256, PrecomputedKeyOverloadsMatchAndAnInvalidKeyIsLocked) {
  const Bytes key(70, 0x17), msg(1000, 0x03);
  Bytes raw(32), held(32);
  ASSERT_TRUE(hmac_sha256(key, msg, raw).ok());
  HmacSha256Key k(key);
  ASSERT_TRUE(hmac_sha256(k, msg, held).ok());
  EXPECT_EQ(raw, held);
  EXPECT_TRUE(hmac_sha256_verify(k, msg, ByteView(held.data(), 16)).ok());
  held[0] ^= 1;
  EXPECT_EQ(hmac_sha256_verify(k, msg, held).code(), ErrorCode::kAuthFailed);
  Bytes wrong_size(31);
  EXPECT_EQ(hmac_sha256(k, msg, wrong_size).code(), ErrorCode::kInvalidArgument);
  // Moved from (as HmacKeyHandle::destroy() does): wiped, and refused.
  HmacSha256Key taken = std::move(k);
  EXPECT_FALSE(k.valid());  // NOLINT(bugprone-use-after-move): the point
  EXPECT_EQ(hmac_sha256(k, msg, raw).code(), ErrorCode::kLocked);
  EXPECT_EQ(hmac_sha256_verify(k, msg, raw).code(), ErrorCode::kLocked);
  EXPECT_EQ(hmac_sha256(HmacSha256Key(), msg, raw).code(), ErrorCode::kLocked);
  EXPECT_TRUE(hmac_sha256(taken, msg, raw).ok());
}

TEST(HmacSha256, RejectsTagsShorterThan16OrLongerThan32Bytes) {
  const Bytes key(32), msg(3);
  Bytes mac(32);
  ASSERT_TRUE(hmac_sha256(key, msg, mac).ok());
  EXPECT_EQ(hmac_sha256_verify(key, msg, ByteView(mac.data(), 15)).code(),
            ErrorCode::kInvalidArgument);
  Bytes longer = mac;
  longer.push_back(0);
  EXPECT_EQ(hmac_sha256_verify(key, msg, longer).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(hmac_sha256_verify(key, msg, ByteView(mac.data(), 16)).ok());
  Bytes short_mac(31);
  EXPECT_EQ(hmac_sha256(key, msg, short_mac).code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace enveil
