#include "unicode_case.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace enveil {
namespace {

TEST(UnicodeSimpleLower, AsciiUppercase) {
  for (uint32_t cp = 'A'; cp <= 'Z'; ++cp) {
    EXPECT_EQ(unicode_simple_lower(cp), cp + 32) << cp;
  }
}

TEST(UnicodeSimpleLower, AsciiOtherUnchanged) {
  for (uint32_t cp = 0; cp < 0x80; ++cp) {
    if (cp >= 'A' && cp <= 'Z') continue;
    EXPECT_EQ(unicode_simple_lower(cp), cp) << cp;
  }
}

TEST(UnicodeSimpleLower, Latin1) {
  EXPECT_EQ(unicode_simple_lower(0x00C9), 0x00E9u);  // É -> é
  EXPECT_EQ(unicode_simple_lower(0x00E9), 0x00E9u);
  EXPECT_EQ(unicode_simple_lower(0x00D7), 0x00D7u);  // × is not a letter
  EXPECT_EQ(unicode_simple_lower(0x00DF), 0x00DFu);  // ß has no lowercase
}

TEST(UnicodeSimpleLower, GreekAndCyrillic) {
  EXPECT_EQ(unicode_simple_lower(0x03A3), 0x03C3u);  // Σ -> σ, never ς
  EXPECT_EQ(unicode_simple_lower(0x03C2), 0x03C2u);  // ς unchanged
  EXPECT_EQ(unicode_simple_lower(0x0416), 0x0436u);  // Ж -> ж
  EXPECT_EQ(unicode_simple_lower(0x0436), 0x0436u);
}

TEST(UnicodeSimpleLower, DottedCapitalI) {
  EXPECT_EQ(unicode_simple_lower(0x0130), 0x0069u);  // İ -> i (simple mapping)
  EXPECT_EQ(unicode_simple_lower(0x0049), 0x0069u);  // I -> i (no tailoring)
  EXPECT_EQ(unicode_simple_lower(0x0131), 0x0131u);  // ı unchanged
}

TEST(UnicodeSimpleLower, StrideTwoPairs) {
  EXPECT_EQ(unicode_simple_lower(0x0100), 0x0101u);  // Ā -> ā
  EXPECT_EQ(unicode_simple_lower(0x0101), 0x0101u);
  EXPECT_EQ(unicode_simple_lower(0x012E), 0x012Fu);  // Į -> į
  EXPECT_EQ(unicode_simple_lower(0x012F), 0x012Fu);
}

TEST(UnicodeSimpleLower, CapitalSharpS) {
  EXPECT_EQ(unicode_simple_lower(0x1E9E), 0x00DFu);  // ẞ -> ß
}

TEST(UnicodeSimpleLower, SupplementaryPlane) {
  EXPECT_EQ(unicode_simple_lower(0x10400), 0x10428u);  // Deseret
  EXPECT_EQ(unicode_simple_lower(0x10428), 0x10428u);
}

TEST(UnicodeSimpleLower, NonCharactersAndOutOfRange) {
  EXPECT_EQ(unicode_simple_lower(0xD800), 0xD800u);  // surrogate
  EXPECT_EQ(unicode_simple_lower(0x10FFFF), 0x10FFFFu);
  EXPECT_EQ(unicode_simple_lower(0x110000), 0x110000u);
  EXPECT_EQ(unicode_simple_lower(0xFFFFFFFF), 0xFFFFFFFFu);
}

// Simple lowercase mappings never yield a code point that lowers further.
TEST(UnicodeSimpleLower, IdempotentEverywhere) {
  int failures = 0;
  for (uint32_t cp = 0; cp <= 0x110000 && failures < 10; ++cp) {
    const uint32_t l = unicode_simple_lower(cp);
    if (unicode_simple_lower(l) != l) {
      ADD_FAILURE() << "U+" << std::hex << cp << " -> U+" << l
                    << " is not a fixed point";
      ++failures;
    }
    if (l > 0x10FFFF && l != cp) {
      ADD_FAILURE() << "U+" << std::hex << cp << " maps out of range";
      ++failures;
    }
  }
}

}  // namespace
}  // namespace enveil
