#include "aes_gcm.h"

#include <gtest/gtest.h>

#include <vector>

#include "wycheproof.h"

namespace enveil {
namespace {

using testing::from_hex;
using testing::to_hex;
using Bytes = std::vector<uint8_t>;

TEST(AesGcm, ReplaysWycheproofVectorsAndRejectsUnsupportedSizes) {
  const auto doc = testing::load_wycheproof("aes_gcm_test.json");
  ASSERT_FALSE(doc.is_null());
  testing::VectorCounts counts;
  for (const auto& group : doc["testGroups"]) {
    const bool supported = group["keySize"] == 256 && group["ivSize"] == 96 &&
                           group["tagSize"] == 128;
    for (const auto& t : group["tests"]) {
      ++counts.run;
      const Bytes key = from_hex(t["key"]), iv = from_hex(t["iv"]),
                  aad = from_hex(t["aad"]), msg = from_hex(t["msg"]),
                  ct = from_hex(t["ct"]), tag = from_hex(t["tag"]);
      Bytes sealed = ct;
      sealed.insert(sealed.end(), tag.begin(), tag.end());
      Bytes out_seal(msg.size() + kAesGcmTagBytes);
      Bytes out_open(sealed.size() - kAesGcmTagBytes);
      const Status s = aes256gcm_seal(key, iv, msg, ByteView(aad), out_seal);
      const Status o = aes256gcm_open(key, iv, sealed, ByteView(aad), out_open);
      SCOPED_TRACE("tcId " + std::to_string(t["tcId"].get<int>()));
      if (!supported) {
        EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
        EXPECT_EQ(o.code(), ErrorCode::kInvalidArgument);
        if (s.code() == ErrorCode::kInvalidArgument &&
            o.code() == ErrorCode::kInvalidArgument) {
          ++counts.rejected_sizes;
          ++counts.passed;
        }
        continue;
      }
      if (t["result"] == "valid") {
        ASSERT_TRUE(s.ok());
        EXPECT_EQ(to_hex(out_seal), to_hex(sealed));
        ASSERT_TRUE(o.ok());
        EXPECT_EQ(to_hex(out_open), to_hex(msg));
        if (s.ok() && o.ok() && out_seal == sealed && out_open == msg) {
          ++counts.passed;
        }
      } else {
        EXPECT_EQ(o.code(), ErrorCode::kAuthFailed);
        EXPECT_EQ(out_open, Bytes(out_open.size(), 0)) << "output not wiped";
        if (o.code() == ErrorCode::kAuthFailed) ++counts.passed;
      }
    }
  }
  counts.print("aes_gcm_test.json");
  EXPECT_EQ(counts.run, 316);
  EXPECT_EQ(counts.passed, counts.run);
  EXPECT_EQ(counts.run - counts.rejected_sizes, 66);
}

TEST(AesGcm, SealsAndOpensInPlace) {
  const Bytes key(32, 7), nonce(12, 9), aad = {1, 2, 3};
  Bytes buf = {'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  Bytes expected(21);
  ASSERT_TRUE(aes256gcm_seal(key, nonce, ByteView(buf.data(), 5), ByteView(aad),
                             expected)
                  .ok());
  ASSERT_TRUE(aes256gcm_seal(key, nonce, ByteView(buf.data(), 5), ByteView(aad),
                             buf)
                  .ok());
  EXPECT_EQ(buf, expected);
  ASSERT_TRUE(aes256gcm_open(key, nonce, buf, ByteView(aad),
                             MutableByteView(buf.data(), 5))
                  .ok());
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + 5), "hello");
}

TEST(AesGcm, RejectsWrongSizesBeforeCallingBearSsl) {
  const Bytes key(32), nonce(12), pt(10);
  Bytes out(26);
  EXPECT_EQ(aes256gcm_seal(Bytes(16), nonce, pt, ByteView(), out).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(aes256gcm_seal(key, Bytes(16), pt, ByteView(), out).code(),
            ErrorCode::kInvalidArgument);
  Bytes short_out(25);
  EXPECT_EQ(aes256gcm_seal(key, nonce, pt, ByteView(), short_out).code(),
            ErrorCode::kInvalidArgument);
  Bytes small(0);
  EXPECT_EQ(aes256gcm_open(key, nonce, Bytes(15), ByteView(), small).code(),
            ErrorCode::kInvalidArgument);
  Bytes five(5);
  EXPECT_EQ(aes256gcm_open(key, nonce, Bytes(20), ByteView(), five).code(),
            ErrorCode::kInvalidArgument);
}

TEST(AesGcm, EmptyPlaintextStillAuthenticatesAad) {
  const Bytes key(32, 1), nonce(12, 2), aad = {5};
  Bytes sealed(16);
  ASSERT_TRUE(aes256gcm_seal(key, nonce, Bytes(), ByteView(aad), sealed).ok());
  Bytes none;
  EXPECT_TRUE(aes256gcm_open(key, nonce, sealed, ByteView(aad), none).ok());
  const Bytes other_aad = {6};
  EXPECT_EQ(aes256gcm_open(key, nonce, sealed, ByteView(other_aad), none).code(),
            ErrorCode::kAuthFailed);
}

}  // namespace
}  // namespace enveil
