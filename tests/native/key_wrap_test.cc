#include "key_wrap.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keyring.h"

namespace enveil {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(KeyWrap, RoundTripsUnderTheSameKekAndContextOnly) {
  const HmacSha256Key kek(Bytes(32, 1));
  const Bytes key(32, 0x77), ctx = bytes("enveil/v1/smk|app");
  Bytes wrapped(kWrappedKeyBytes), out(32);
  ASSERT_TRUE(wrap_key(kek, ctx, key, wrapped).ok());
  EXPECT_EQ(wrapped[0], 1);
  EXPECT_EQ(load_be32(wrapped.data() + 2), 0u);  // key id 0: the KEK
  ASSERT_TRUE(unwrap_key(kek, ctx, wrapped, out).ok());
  EXPECT_EQ(out, key);
  EXPECT_EQ(unwrap_key(HmacSha256Key(Bytes(32, 2)), ctx, wrapped, out).code(),
            ErrorCode::kKeyUnavailable);
  EXPECT_EQ(out, Bytes(32, 0)) << "wiped on failure";
  EXPECT_EQ(unwrap_key(kek, bytes("other"), wrapped, out).code(),
            ErrorCode::kKeyUnavailable);
  for (size_t i = 0; i < wrapped.size(); ++i) {
    Bytes bad = wrapped;
    bad[i] ^= 0x10;
    EXPECT_EQ(unwrap_key(kek, ctx, bad, out).code(), ErrorCode::kKeyUnavailable) << i;
  }
}

TEST(KeyWrap, RejectsWrongSizes) {
  const HmacSha256Key kek(Bytes(32, 1));
  Bytes wrapped(kWrappedKeyBytes), out(32), short_out(31);
  EXPECT_EQ(wrap_key(kek, Bytes(), Bytes(31), wrapped).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(wrap_key(kek, Bytes(), Bytes(32), wrapped).ok());
  EXPECT_EQ(unwrap_key(kek, Bytes(), ByteView(wrapped.data(), 101), out).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(unwrap_key(kek, Bytes(), wrapped, short_out).code(), ErrorCode::kInvalidArgument);
}

TEST(KeyWrap, KeyringSecretsAreSeparatedFromEntriesAndStores) {
  const Bytes kek(32, 5), secret(32, 9);
  Keyring a = Keyring::create(kek, "app", "k").value();
  Keyring b = Keyring::create(kek, "other", "k").value();
  Bytes wrapped(kWrappedKeyBytes), out(32);
  ASSERT_TRUE(a.wrap_secret(bytes("recovery"), secret, wrapped).ok());
  ASSERT_TRUE(a.unwrap_secret(bytes("recovery"), wrapped, out).ok());
  EXPECT_EQ(out, secret);
  EXPECT_EQ(b.unwrap_secret(bytes("recovery"), wrapped, out).code(),
            ErrorCode::kKeyUnavailable);
  EXPECT_EQ(a.unwrap_secret(bytes("other"), wrapped, out).code(),
            ErrorCode::kKeyUnavailable);
  // The same KEK used directly, without the secret label, does not open it.
  EXPECT_EQ(unwrap_key(HmacSha256Key(kek), bytes("recovery"), wrapped, out).code(),
            ErrorCode::kKeyUnavailable);
}

TEST(KeyWrap, AnInvalidKekIsLockedNotAWrongKey) {
  const HmacSha256Key kek(Bytes(32, 1));
  const Bytes key(32, 0x77), ctx = bytes("ctx");
  Bytes wrapped(kWrappedKeyBytes), out(32, 0xAA);
  ASSERT_TRUE(wrap_key(kek, ctx, key, wrapped).ok());
  const HmacSha256Key empty;
  Bytes again(kWrappedKeyBytes, 0xAA);
  EXPECT_EQ(wrap_key(empty, ctx, key, again).code(), ErrorCode::kLocked);
  EXPECT_EQ(again, Bytes(kWrappedKeyBytes, 0xAA)) << "nothing written";
  EXPECT_EQ(unwrap_key(empty, ctx, wrapped, out).code(), ErrorCode::kLocked);
}

}  // namespace
}  // namespace enveil
