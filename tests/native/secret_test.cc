#include "secret.h"

#include <gtest/gtest.h>

#include <vector>

#include "random.h"

namespace enveil {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(Secret, ConstantTimeCompareAnswersEqualityOnly) {
  const Bytes a = {1, 2, 3}, b = {1, 2, 3}, c = {1, 2, 4};
  EXPECT_TRUE(ct_equal(a, b));
  EXPECT_FALSE(ct_equal(a, c));
  EXPECT_FALSE(ct_equal(a, Bytes{1, 2}));
  EXPECT_TRUE(ct_equal(Bytes(), Bytes()));
  for (int bit = 0; bit < 8; ++bit) {
    Bytes d = a;
    d[2] ^= static_cast<uint8_t>(1 << bit);
    EXPECT_FALSE(ct_equal(a, d)) << bit;
  }
}

TEST(Secret, BufferMovesOwnershipAndResetsWipe) {
  SecretBuffer a = SecretBuffer::copy_of(Bytes{9, 9, 9});
  SecretBuffer b = std::move(a);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): pinned on purpose
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.data()[1], 9);
  b.reset();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.data(), nullptr);
}

TEST(Secret, WipeZeroesMemory) {
  uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  secure_wipe(buf, sizeof buf);
  for (uint8_t b : buf) EXPECT_EQ(b, 0);
}

TEST(Random, FillsBuffersAndRejectsOversizedRequests) {
  Bytes a(300), b(300);
  ASSERT_TRUE(random_fill(a).ok());
  ASSERT_TRUE(random_fill(b).ok());
  EXPECT_NE(a, b);
  EXPECT_NE(a, Bytes(300, 0));
  Bytes huge(kRandomMaxBytes + 1);
  EXPECT_EQ(random_fill(huge).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace enveil
