#include "blind_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keyring.h"
#include "wycheproof.h"

namespace enveil {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::string normalized(const std::string& in, Normalization mode) {
  Result<SecretBuffer> out = normalize_value(bytes(in), mode);
  EXPECT_TRUE(out.ok()) << in;
  if (!out.ok()) return "<error>";
  return std::string(out.value().data(),
                     out.value().data() + out.value().size());
}

TEST(BlindIndex, NormalizesPerMode) {
  EXPECT_EQ(normalized(" Alice@Example.COM ", Normalization::kNone),
            " Alice@Example.COM ");
  EXPECT_EQ(normalized(" Alice@Example.COM ", Normalization::kLowercase),
            " alice@example.com ");
  EXPECT_EQ(normalized("\u3000\t Alice@Example.COM \u00a0\n",
                       Normalization::kTrimLowercase),
            "alice@example.com");
  EXPECT_EQ(normalized("  inner  space  ", Normalization::kTrimLowercase),
            "inner  space");
  EXPECT_EQ(normalized("ÉLODIE ΣΊΣΥΦΟΣ ЖУК", Normalization::kLowercase),
            "élodie σίσυφοσ жук");
  EXPECT_EQ(normalized("+1 (555) 010-9999", Normalization::kDigits),
            "15550109999");
  EXPECT_EQ(normalized("   ", Normalization::kTrimLowercase), "");
  EXPECT_EQ(normalized("", Normalization::kDigits), "");
}

TEST(BlindIndex, EachModeHasTheNameDeclarationsUse) {
  EXPECT_EQ(kNormalizationNames[static_cast<size_t>(Normalization::kNone)],
            "none");
  EXPECT_EQ(
      kNormalizationNames[static_cast<size_t>(Normalization::kLowercase)],
      "lowercase");
  EXPECT_EQ(
      kNormalizationNames[static_cast<size_t>(Normalization::kTrimLowercase)],
      "trim-lowercase");
  EXPECT_EQ(kNormalizationNames[static_cast<size_t>(Normalization::kDigits)],
            "digits");
  // The longest blind index fits the text size the module exports.
  EXPECT_EQ(std::to_string(UINT32_MAX).size() + 1 + kBlindIndexMaxBits / 4,
            kKeyringBlindIndexMaxTextBytes);
}

TEST(BlindIndex, RejectsInvalidUtf8WhenLowercasing) {
  for (const std::string& bad :
       {std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
        std::string("\xF4\x90\x80\x80"), std::string("\xE2\x82"),
        std::string("\x80")}) {
    EXPECT_EQ(normalize_value(bytes(bad), Normalization::kLowercase)
                  .status()
                  .code(),
              ErrorCode::kInvalidArgument);
    EXPECT_TRUE(normalize_value(bytes(bad), Normalization::kNone).ok());
  }
}

TEST(BlindIndex, TruncatesToTheRequestedBits) {
  const HmacSha256Key key(Bytes(32, 1));
  const std::string full =
      blind_index_hex(key, bytes("v"), Normalization::kNone, 256).value();
  ASSERT_EQ(full.size(), 64u);
  EXPECT_EQ(blind_index_hex(key, bytes("v"), Normalization::kNone, 32).value(),
            full.substr(0, 8));
  EXPECT_EQ(blind_index_hex(key, bytes("v"), Normalization::kNone, 8).value(),
            full.substr(0, 2));
  // 13 bits: three full hex digits and the top bit of the fourth.
  const std::string b13 =
      blind_index_hex(key, bytes("v"), Normalization::kNone, 13).value();
  ASSERT_EQ(b13.size(), 4u);
  EXPECT_EQ(b13.substr(0, 3), full.substr(0, 3));
  const unsigned last = std::stoul(full.substr(3, 1), nullptr, 16) & 0x8;
  EXPECT_EQ(std::stoul(b13.substr(3, 1), nullptr, 16), last);
  EXPECT_FALSE(blind_index_hex(key, bytes("v"), Normalization::kNone, 7).ok());
  EXPECT_FALSE(blind_index_hex(key, bytes("v"), Normalization::kNone, 257).ok());
}

TEST(BlindIndex, IsTheHmacOfTheLabelAndNormalizedValue) {
  const Bytes raw(32, 9);
  uint8_t mac[32];
  HmacSha256Key(raw).mac({bytes("enveil/v1/bidx"), bytes("bob@x.io")}, mac);
  EXPECT_EQ(blind_index_hex(HmacSha256Key(raw), bytes("  BOB@x.io"),
                            Normalization::kTrimLowercase, 256)
                .value(),
            testing::to_hex(mac, 32));
}

TEST(BlindIndex, KeyringPrefixesTheKeyIdAndSearchesOldKeysOnRequest) {
  Keyring ring = Keyring::create(Bytes(32, 3), "app", "k").value();
  const uint32_t old_id = ring.rotate(KeyKind::kIndex, "contacts/email", 1).value();
  const std::string old_idx =
      ring.blind_index("contacts", "email", bytes("a@x.io"),
                       Normalization::kNone, 32).value();
  EXPECT_EQ(old_idx.substr(0, old_idx.find(':')), std::to_string(old_id));
  const uint32_t new_id = ring.rotate(KeyKind::kIndex, "contacts/email", 2).value();
  const std::string new_idx =
      ring.blind_index("contacts", "email", bytes("a@x.io"),
                       Normalization::kNone, 32).value();
  EXPECT_EQ(new_idx.substr(0, new_idx.find(':')), std::to_string(new_id));
  EXPECT_EQ(ring.blind_index("contacts", "email", bytes("a@x.io"),
                             Normalization::kNone, 32, old_id).value(),
            old_idx);
  EXPECT_EQ(ring.blind_index("contacts", "phone", bytes("1"),
                             Normalization::kDigits, 32).status().code(),
            ErrorCode::kUnknownKey);
}

TEST(BlindIndex, AnInvalidIndexKeyIsLocked) {
  HmacSha256Key moved(Bytes(32, 9));
  HmacSha256Key taken = std::move(moved);
  EXPECT_EQ(blind_index_hex(HmacSha256Key(), bytes("v"), Normalization::kNone, 32)
                .status()
                .code(),
            ErrorCode::kLocked);
  EXPECT_EQ(blind_index_hex(moved, bytes("v"), Normalization::kNone, 32)
                .status()
                .code(),
            ErrorCode::kLocked);
  EXPECT_TRUE(blind_index_hex(taken, bytes("v"), Normalization::kNone, 32).ok());
}

}  // namespace
}  // namespace enveil
