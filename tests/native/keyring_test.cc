#include "keyring.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "record_format.h"

namespace enveil {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

const Bytes kKek(32, 0x11);

Keyring make_ring() {
  Result<Keyring> ring = Keyring::create(kKek, "app", "kek-1");
  EXPECT_TRUE(ring.ok());
  return std::move(ring).value();
}

Bytes encrypt(const Keyring& ring, const std::string& scope,
              const std::string& ctx, const std::string& pt) {
  Bytes out(pt.size() + kRecordOverheadBytes);
  EXPECT_TRUE(ring.encrypt(scope, bytes(ctx), bytes(pt), out).ok());
  return out;
}

Status decrypt(const Keyring& ring, const Bytes& rec, const std::string& ctx,
               std::string* pt) {
  Bytes out(rec.size() - kRecordOverheadBytes);
  const Status s = ring.decrypt(rec, bytes(ctx), out);
  pt->assign(out.begin(), out.end());
  return s;
}

// Copies every entry of `from` into a new keyring under `kek`.
Result<Keyring> reload(const Keyring& from, const Bytes& kek,
                       const std::string& store = "app",
                       const std::string& kek_id = "kek-1") {
  Result<Keyring> ring = Keyring::create(kek, store, kek_id);
  for (size_t i = 0; i < from.size(); ++i) {
    const KeyEntryInfo& e = from.entry(i);
    Status s = ring.value().import_entry(e.id, e.kind, e.scope, e.status,
                                         e.created_at_ms, e.wrapped);
    if (!s.ok()) return s;
  }
  return ring;
}

TEST(Keyring, EncryptsUnderThePrimaryAndDecryptsAfterRotation) {
  Keyring ring = make_ring();
  const uint32_t first = ring.rotate(KeyKind::kData, "contacts", 1).value();
  const Bytes old_rec = encrypt(ring, "contacts", "c1", "old");
  EXPECT_EQ(record_key_id(old_rec).value(), first);
  const uint32_t second = ring.rotate(KeyKind::kData, "contacts", 2).value();
  EXPECT_NE(first, second);
  const Bytes new_rec = encrypt(ring, "contacts", "c1", "new");
  EXPECT_EQ(record_key_id(new_rec).value(), second);
  std::string pt;
  ASSERT_TRUE(decrypt(ring, old_rec, "c1", &pt).ok());
  EXPECT_EQ(pt, "old");
  ASSERT_TRUE(decrypt(ring, new_rec, "c1", &pt).ok());
  EXPECT_EQ(pt, "new");
  ASSERT_EQ(ring.size(), 2u);
  EXPECT_EQ(ring.entry(0).status, KeyStatus::kActive);
  EXPECT_EQ(ring.entry(1).status, KeyStatus::kPrimary);
}

TEST(Keyring, ExportedEntriesReloadUnderTheSameKek) {
  Keyring ring = make_ring();
  ring.rotate(KeyKind::kData, "contacts", 1).value();
  ring.rotate(KeyKind::kIndex, "contacts/email", 1).value();
  const Bytes rec = encrypt(ring, "contacts", "c", "hello");
  const std::string idx =
      ring.blind_index("contacts", "email", bytes("A@x.io"),
                       Normalization::kLowercase, 32)
          .value();
  Result<Keyring> copy = reload(ring, kKek);
  ASSERT_TRUE(copy.ok());
  std::string pt;
  ASSERT_TRUE(decrypt(copy.value(), rec, "c", &pt).ok());
  EXPECT_EQ(pt, "hello");
  EXPECT_EQ(copy.value()
                .blind_index("contacts", "email", bytes("a@x.io"),
                             Normalization::kLowercase, 32)
                .value(),
            idx);
  for (size_t i = 0; i < ring.size(); ++i) {
    EXPECT_EQ(ring.entry(i).wrapped.size(), kKeyringWrappedBytes);
  }
}

TEST(Keyring, WrongKekAnotherStoreOrAnotherKekIdDoesNotUnwrap) {
  Keyring ring = make_ring();
  ring.rotate(KeyKind::kData, "contacts", 1).value();
  EXPECT_EQ(reload(ring, Bytes(32, 0x12)).status().code(),
            ErrorCode::kKeyUnavailable);
  EXPECT_EQ(reload(ring, kKek, "other-app").status().code(),
            ErrorCode::kKeyUnavailable);
  EXPECT_EQ(reload(ring, kKek, "app", "kek-2").status().code(),
            ErrorCode::kKeyUnavailable);
}

TEST(Keyring, AnEntryRelabelledInStorageDoesNotUnwrap) {
  Keyring ring = make_ring();
  ring.rotate(KeyKind::kData, "contacts", 1).value();
  const KeyEntryInfo e = ring.entry(0);
  Keyring target = make_ring();
  EXPECT_EQ(target.import_entry(e.id, KeyKind::kData, "notes", e.status, 1,
                                e.wrapped).code(),
            ErrorCode::kKeyUnavailable);
  EXPECT_EQ(target.import_entry(e.id + 1, KeyKind::kData, "contacts", e.status,
                                1, e.wrapped).code(),
            ErrorCode::kKeyUnavailable);
  Bytes flipped = e.wrapped;
  flipped[80] ^= 1;
  EXPECT_EQ(target.import_entry(e.id, KeyKind::kData, "contacts", e.status, 1,
                                flipped).code(),
            ErrorCode::kKeyUnavailable);
  EXPECT_TRUE(target.import_entry(e.id, KeyKind::kData, "contacts", e.status,
                                  1, e.wrapped).ok());
}

TEST(Keyring, RejectsMalformedEntries) {
  Keyring ring = make_ring();
  ring.rotate(KeyKind::kData, "contacts", 1).value();
  const KeyEntryInfo e = ring.entry(0);
  Keyring t = make_ring();
  EXPECT_EQ(t.import_entry(0, e.kind, e.scope, e.status, 1, e.wrapped).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.import_entry(e.id, e.kind, "a/b", e.status, 1, e.wrapped).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.import_entry(e.id, e.kind, e.scope, static_cast<KeyStatus>(9), 1,
                           e.wrapped).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.import_entry(e.id, e.kind, e.scope, e.status, 1,
                           ByteView(e.wrapped.data(), 101)).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(t.import_entry(e.id, e.kind, e.scope, e.status, 1, e.wrapped).ok());
  EXPECT_EQ(t.import_entry(e.id, e.kind, e.scope, e.status, 1, e.wrapped).code(),
            ErrorCode::kInvalidArgument);  // duplicate id
}

TEST(Keyring, UnknownKeyIdGivesUnknownKey) {
  Keyring a = make_ring(), b = make_ring();
  a.rotate(KeyKind::kData, "contacts", 1).value();
  b.rotate(KeyKind::kData, "contacts", 1).value();
  const Bytes rec = encrypt(a, "contacts", "c", "x");
  std::string pt;
  EXPECT_EQ(decrypt(b, rec, "c", &pt).code(), ErrorCode::kUnknownKey);
  Bytes out(71);
  EXPECT_EQ(a.encrypt("notes", bytes("c"), bytes("x"), out).code(),
            ErrorCode::kUnknownKey);
}

TEST(Keyring, IndexKeysNeverDecryptRecords) {
  Keyring ring = make_ring();
  ring.rotate(KeyKind::kData, "contacts", 1).value();
  const uint32_t idx = ring.rotate(KeyKind::kIndex, "contacts/email", 1).value();
  Bytes rec = encrypt(ring, "contacts", "c", "x");
  store_be32(rec.data() + kRecordKeyIdOffset, idx);
  std::string pt;
  EXPECT_EQ(decrypt(ring, rec, "c", &pt).code(), ErrorCode::kUnknownKey);
}

TEST(Keyring, ARecordRelabelledToAnotherHeldKeyFailsAuthentication) {
  Keyring ring = make_ring();
  const uint32_t first = ring.rotate(KeyKind::kData, "contacts", 1).value();
  ring.rotate(KeyKind::kData, "contacts", 2).value();
  Bytes rec = encrypt(ring, "contacts", "c", "x");
  store_be32(rec.data() + kRecordKeyIdOffset, first);
  std::string pt;
  EXPECT_EQ(decrypt(ring, rec, "c", &pt).code(), ErrorCode::kAuthFailed);
}

TEST(Keyring, RewrapMovesEveryEntryToTheNewKekWithoutTouchingRecords) {
  Keyring ring = make_ring();
  ring.rotate(KeyKind::kData, "contacts", 1).value();
  ring.rotate(KeyKind::kIndex, "contacts/email", 1).value();
  const Bytes rec = encrypt(ring, "contacts", "c", "kept");
  const Bytes new_kek(32, 0x22);
  ASSERT_TRUE(ring.rewrap(new_kek, "kek-2").ok());
  EXPECT_FALSE(reload(ring, kKek, "app", "kek-1").ok());
  Result<Keyring> copy = reload(ring, new_kek, "app", "kek-2");
  ASSERT_TRUE(copy.ok());
  std::string pt;
  ASSERT_TRUE(decrypt(copy.value(), rec, "c", &pt).ok());
  EXPECT_EQ(pt, "kept");
  EXPECT_EQ(ring.rewrap(Bytes(31), "x").code(), ErrorCode::kInvalidArgument);
}

TEST(Keyring, StatusChangesKeepOnePrimaryPerScope) {
  Keyring ring = make_ring();
  const uint32_t a = ring.rotate(KeyKind::kData, "contacts", 1).value();
  const uint32_t b = ring.rotate(KeyKind::kData, "contacts", 2).value();
  EXPECT_EQ(ring.set_status(b, KeyStatus::kRetired).code(),
            ErrorCode::kInvalidArgument);  // b is primary
  EXPECT_EQ(ring.set_status(a, KeyStatus::kPrimary).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ring.set_status(a, KeyStatus::kRetired).ok());
  EXPECT_EQ(ring.set_status(12345, KeyStatus::kRetired).code(),
            ErrorCode::kUnknownKey);
}

TEST(Keyring, PromoteAndRemoveUndoARotation) {
  Keyring ring = make_ring();
  const uint32_t a = ring.rotate(KeyKind::kData, "contacts", 1).value();
  const uint32_t b = ring.rotate(KeyKind::kData, "contacts", 2).value();
  ASSERT_TRUE(ring.promote(a).ok());
  ASSERT_TRUE(ring.remove(b).ok());
  ASSERT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.entry(0).status, KeyStatus::kPrimary);
  const Bytes rec = encrypt(ring, "contacts", "c", "x");
  EXPECT_EQ(record_key_id(rec).value(), a);
  EXPECT_EQ(ring.remove(b).code(), ErrorCode::kUnknownKey);
  EXPECT_EQ(ring.promote(b).code(), ErrorCode::kUnknownKey);
}

TEST(Keyring, ValidatesScopesAndKek) {
  EXPECT_FALSE(Keyring::create(Bytes(16), "app", "k").ok());
  Keyring ring = make_ring();
  EXPECT_FALSE(ring.rotate(KeyKind::kData, "", 1).ok());
  EXPECT_FALSE(ring.rotate(KeyKind::kData, "a/b", 1).ok());
  EXPECT_FALSE(ring.rotate(KeyKind::kIndex, "contacts", 1).ok());
  EXPECT_FALSE(ring.rotate(KeyKind::kIndex, "a/b/c", 1).ok());
  EXPECT_FALSE(ring.rotate(KeyKind::kData, std::string(256, 'x'), 1).ok());
  EXPECT_TRUE(ring.rotate(KeyKind::kData, std::string(255, 'x'), 1).ok());
}

TEST(Keyring, DestroyForgetsEveryKey) {
  Keyring ring = make_ring();
  ring.rotate(KeyKind::kData, "contacts", 1).value();
  const Bytes rec = encrypt(ring, "contacts", "c", "x");
  ring.destroy();
  EXPECT_EQ(ring.size(), 0u);
  std::string pt;
  EXPECT_EQ(decrypt(ring, rec, "c", &pt).code(), ErrorCode::kLocked);
  EXPECT_EQ(ring.rotate(KeyKind::kData, "contacts", 2).status().code(),
            ErrorCode::kLocked);
  Bytes wrapped(kWrappedKeyBytes);
  EXPECT_EQ(ring.wrap_secret(bytes("x"), Bytes(32), wrapped).code(),
            ErrorCode::kLocked);
  EXPECT_EQ(ring.blind_index("a", "b", bytes("v"), Normalization::kNone, 32)
                .status()
                .code(),
            ErrorCode::kLocked);
  Keyring moved = make_ring();
  Keyring target = std::move(moved);
  EXPECT_EQ(moved.rotate(KeyKind::kData, "x", 1).status().code(),  // NOLINT
            ErrorCode::kLocked);
}

}  // namespace
}  // namespace enveil
