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
  const auto counts = testing::replay_aead(
      "aes_gcm_test.json",
      [](const Bytes& k, const Bytes& n, const Bytes& in, const Bytes& aad, Bytes& out) {
        return static_cast<int>(aes256gcm_seal(k, n, in, ByteView(aad), out).code());
      },
      [](const Bytes& k, const Bytes& n, const Bytes& in, const Bytes& aad, Bytes& out) {
        return static_cast<int>(aes256gcm_open(k, n, in, ByteView(aad), out).code());
      });
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
