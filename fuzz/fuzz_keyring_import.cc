// Keyring import and everything that runs on what it loaded.
//
// A keyring is built from a fixed KEK (store "fuzz-store", KEK id "kek-1";
// input byte 0 bit 0 picks the suite), then the input is a list of ops
// (fuzz_common.h, KeyringOp): import fuzz-derived entries (id, kind, scope,
// status, wrapped bytes), encrypt/decrypt, tamper with a sealed record, blind
// indexes, rewrap, status changes, rotation, export/re-import, wrapped
// secrets and destroy. Every result is checked against a model of what the
// API promises:
//   - errors are only the documented Status codes for each call;
//   - import succeeds only for a well-formed entry (id != 0, unused id, known
//     kind and status, valid scope, 102 bytes, no second primary), and a
//     well-formed entry fails only with kKeyUnavailable;
//   - at most one primary per (kind, scope), ids unique and non-zero;
//   - encrypt works exactly when the scope has a primary data key, and what
//     it seals decrypts (under that context only); every record sealed so far
//     still decrypts while its key is held, also after rewrap and re-import;
//   - tampered records never decrypt; blind indexes are "<id>:<hex>" with
//     ceil(bits/4) lowercase digits, equal across a re-imported keyring;
//   - rewrap changes nothing on error, and on success every entry re-imports
//     under the new KEK; a wrapped secret never imports as a key;
//   - after destroy every call is kLocked (or kUnknownKey for id lookups).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.h"
#include "keyring.h"
#include "record_format.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

struct Saved {
  Bytes record;
  Bytes context;
  Bytes plaintext;
  uint32_t key_id;
};

bool model_valid_name(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (c == '/' || c == '\0') return false;
  }
  return true;
}

bool model_valid_scope(uint8_t kind, std::string_view scope) {
  if (kind == 1) return model_valid_name(scope);
  if (kind != 2) return false;
  const size_t slash = scope.find('/');
  if (slash == std::string_view::npos) return false;
  return model_valid_name(scope.substr(0, slash)) &&
         model_valid_name(scope.substr(slash + 1));
}

const KeyEntryInfo* find_entry(const Keyring& ring, uint32_t id) {
  for (size_t i = 0; i < ring.size(); ++i) {
    if (ring.entry(i).id == id) return &ring.entry(i);
  }
  return nullptr;
}

const KeyEntryInfo* primary_entry(const Keyring& ring, KeyKind kind,
                                  std::string_view scope) {
  for (size_t i = 0; i < ring.size(); ++i) {
    const KeyEntryInfo& e = ring.entry(i);
    if (e.kind == kind && e.scope == scope && e.status == KeyStatus::kPrimary) {
      return &e;
    }
  }
  return nullptr;
}

bool has_data_key(const Keyring& ring, uint32_t id) {
  const KeyEntryInfo* e = find_entry(ring, id);
  return e != nullptr && e->kind == KeyKind::kData;
}

void check_ring(const Keyring& ring) {
  for (size_t i = 0; i < ring.size(); ++i) {
    const KeyEntryInfo& a = ring.entry(i);
    FUZZ_CHECK(a.id != 0);
    FUZZ_CHECK(a.kind == KeyKind::kData || a.kind == KeyKind::kIndex);
    FUZZ_CHECK(a.status == KeyStatus::kPrimary ||
               a.status == KeyStatus::kActive ||
               a.status == KeyStatus::kRetired);
    FUZZ_CHECK(model_valid_scope(static_cast<uint8_t>(a.kind), a.scope));
    FUZZ_CHECK(a.wrapped.size() == kKeyringWrappedBytes);
    for (size_t j = i + 1; j < ring.size(); ++j) {
      const KeyEntryInfo& b = ring.entry(j);
      FUZZ_CHECK(a.id != b.id);
      FUZZ_CHECK(!(a.status == KeyStatus::kPrimary &&
                   b.status == KeyStatus::kPrimary && a.kind == b.kind &&
                   a.scope == b.scope));
    }
  }
}

void check_saved(const Keyring& ring, const std::vector<Saved>& saved) {
  for (const Saved& s : saved) {
    Bytes out(s.plaintext.size(), 0xA5);
    const Status st = ring.decrypt(s.record, s.context, out);
    if (has_data_key(ring, s.key_id)) {
      FUZZ_CHECK(st.ok());
      FUZZ_CHECK(out == s.plaintext);
    } else {
      FUZZ_CHECK(st.code() == ErrorCode::kUnknownKey);
    }
  }
}

// Splits an index scope "<collection>/<field>".
void split_scope(std::string_view scope, std::string_view* a,
                 std::string_view* b) {
  const size_t slash = scope.find('/');
  if (slash == std::string_view::npos) {
    *a = scope;
    *b = std::string_view();
  } else {
    *a = scope.substr(0, slash);
    *b = scope.substr(slash + 1);
  }
}

// Every entry re-imports into a new keyring under (kek, kek_id); records and
// blind indexes agree between the two.
void check_reimport(const Keyring& ring, ByteView kek, std::string_view kek_id,
                    uint8_t suite, const std::vector<Saved>& saved) {
  Result<Keyring> fresh = Keyring::create(kek, kStore, kek_id, suite);
  FUZZ_CHECK(fresh.ok());
  for (size_t i = 0; i < ring.size(); ++i) {
    const KeyEntryInfo& e = ring.entry(i);
    FUZZ_CHECK(fresh.value()
                   .import_entry(e.id, e.kind, e.scope, e.status,
                                 e.created_at_ms, e.wrapped)
                   .ok());
  }
  FUZZ_CHECK(fresh.value().size() == ring.size());
  check_saved(fresh.value(), saved);
  for (size_t i = 0; i < ring.size(); ++i) {
    const KeyEntryInfo& e = ring.entry(i);
    if (e.kind != KeyKind::kIndex) continue;
    std::string_view scope, field;
    split_scope(e.scope, &scope, &field);
    Result<std::string> a = ring.blind_index(scope, field, bv("v@x.io"),
                                             Normalization::kLowercase, 64, e.id);
    Result<std::string> b = fresh.value().blind_index(
        scope, field, bv("V@X.IO"), Normalization::kLowercase, 64, e.id);
    FUZZ_CHECK(a.ok() && b.ok() && a.value() == b.value());
  }
}

void check_locked(Keyring& ring) {
  FUZZ_CHECK(ring.size() == 0);
  Bytes wrapped(kKeyringWrappedBytes);
  FUZZ_CHECK(ring.import_entry(1, KeyKind::kData, "a", KeyStatus::kPrimary, 0,
                               wrapped)
                 .code() == ErrorCode::kLocked);
  Bytes out(kRecordOverheadBytes + 1);
  FUZZ_CHECK(ring.encrypt("a", ByteView(), bv("x"), out).code() ==
             ErrorCode::kLocked);
  Bytes plain(1);
  FUZZ_CHECK(ring.decrypt(out, ByteView(), plain).code() == ErrorCode::kLocked);
  FUZZ_CHECK(ring.blind_index("a", "b", bv("x"), Normalization::kNone, 32)
                 .status()
                 .code() == ErrorCode::kLocked);
  FUZZ_CHECK(ring.rotate(KeyKind::kData, "a", 0).status().code() ==
             ErrorCode::kLocked);
  FUZZ_CHECK(ring.rewrap(ByteView(kKek2), "k").code() == ErrorCode::kLocked);
  Bytes secret(32), sealed(kKeyringWrappedBytes);
  FUZZ_CHECK(ring.wrap_secret(ByteView(), secret, sealed).code() ==
             ErrorCode::kLocked);
  FUZZ_CHECK(ring.unwrap_secret(ByteView(), sealed, secret).code() ==
             ErrorCode::kLocked);
  FUZZ_CHECK(ring.set_status(1, KeyStatus::kRetired).code() ==
             ErrorCode::kUnknownKey);
  FUZZ_CHECK(ring.promote(1).code() == ErrorCode::kUnknownKey);
  FUZZ_CHECK(ring.remove(1).code() == ErrorCode::kUnknownKey);
}

// A scope chosen from a held entry (sel < 0x80) or read from the input.
std::string pick_scope(Reader& r, const Keyring& ring, uint8_t sel) {
  if ((sel & 0x80) == 0 && ring.size() > 0) {
    return ring.entry(sel % ring.size()).scope;
  }
  if ((sel & 0x80) == 0) return "notes";
  return std::string(sv(r.bytes(r.u8())));
}

struct State {
  Keyring ring;
  uint8_t suite;
  Bytes kek;
  std::string kek_id;
  std::vector<Saved> saved;
};

void op_import(Reader& r, State& st) {
  const uint32_t id = r.u32();
  const uint8_t kind = r.u8();
  const uint8_t status = r.u8();
  const double created = r.u8();
  const std::string scope(sv(r.bytes(r.u8())));
  const ByteView wrapped = r.bytes(r.u8());
  const bool well_formed =
      id != 0 && find_entry(st.ring, id) == nullptr && (kind == 1 || kind == 2) &&
      status >= 1 && status <= 3 && model_valid_scope(kind, scope) &&
      wrapped.size() == kKeyringWrappedBytes &&
      !(status == 1 &&
        primary_entry(st.ring, static_cast<KeyKind>(kind), scope) != nullptr);
  FUZZ_CHECK(valid_scope(static_cast<KeyKind>(kind), scope) ==
             model_valid_scope(kind, scope));
  const size_t before = st.ring.size();
  const Status s = st.ring.import_entry(id, static_cast<KeyKind>(kind), scope,
                                        static_cast<KeyStatus>(status), created,
                                        wrapped);
  if (!well_formed) {
    FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument);
  } else {
    FUZZ_CHECK(s.ok() || s.code() == ErrorCode::kKeyUnavailable);
  }
  if (!s.ok()) {
    FUZZ_CHECK(st.ring.size() == before);
    return;
  }
  FUZZ_CHECK(st.ring.size() == before + 1);
  const KeyEntryInfo& e = st.ring.entry(before);
  FUZZ_CHECK(e.id == id && static_cast<uint8_t>(e.kind) == kind &&
             static_cast<uint8_t>(e.status) == status && e.scope == scope &&
             e.created_at_ms == created && equal(bv(e.wrapped), wrapped));
  // Only a record sealed under the KEK (key id 0) can have unwrapped.
  FUZZ_CHECK(record_key_id(wrapped).ok() && record_key_id(wrapped).value() == 0);
}

void op_encrypt(Reader& r, State& st) {
  const std::string scope = pick_scope(r, st.ring, r.u8());
  const ByteView context = r.bytes(r.u8());
  const ByteView plaintext = r.bytes(r.u8());
  const KeyEntryInfo* primary = primary_entry(st.ring, KeyKind::kData, scope);
  Bytes out(plaintext.size() + kRecordOverheadBytes);
  const Status s = st.ring.encrypt(scope, context, plaintext, out);
  Bytes wrong(plaintext.size() + kRecordOverheadBytes - 1);
  const Status w = st.ring.encrypt(scope, context, plaintext, wrong);
  if (primary == nullptr) {
    FUZZ_CHECK(s.code() == ErrorCode::kUnknownKey);
    FUZZ_CHECK(w.code() == ErrorCode::kUnknownKey);
    return;
  }
  FUZZ_CHECK(s.ok());
  FUZZ_CHECK(w.code() == ErrorCode::kInvalidArgument);
  FUZZ_CHECK(record_key_id(out).ok() && record_key_id(out).value() == primary->id);
  FUZZ_CHECK(out[1] == st.suite);
  Bytes back(plaintext.size(), 0xA5);
  FUZZ_CHECK(st.ring.decrypt(out, context, back).ok());
  FUZZ_CHECK(equal(bv(back), plaintext));
  Bytes other_context(context.begin(), context.end());
  other_context.push_back(0);
  FUZZ_CHECK(st.ring.decrypt(out, other_context, back).code() ==
             ErrorCode::kAuthFailed);
  FUZZ_CHECK(all_zero(back));
  Bytes wrong_out(plaintext.size() + 1);
  FUZZ_CHECK(st.ring.decrypt(out, context, wrong_out).code() ==
             ErrorCode::kInvalidArgument);
  if (st.saved.size() < 16) {
    st.saved.push_back(Saved{out, Bytes(context.begin(), context.end()),
                             Bytes(plaintext.begin(), plaintext.end()),
                             primary->id});
  }
}

void op_decrypt(Reader& r, State& st) {
  const ByteView record = r.bytes(r.u16());
  const ByteView context = r.bytes(r.u8());
  Bytes out(record.size() >= kRecordOverheadBytes
                ? record.size() - kRecordOverheadBytes
                : 0,
            0xA5);
  const Status s = st.ring.decrypt(record, context, out);
  const Result<uint32_t> id = record_key_id(record);
  if (!id.ok()) {
    FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
  } else if (!has_data_key(st.ring, id.value())) {
    FUZZ_CHECK(s.code() == ErrorCode::kUnknownKey);
  } else if (!s.ok()) {
    FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
    FUZZ_CHECK(all_zero(out));
  }
}

void op_tamper(Reader& r, State& st) {
  const uint8_t which = r.u8();
  const uint16_t pos = r.u16();
  const uint8_t x = r.u8();
  if (st.saved.empty()) return;
  Saved& s = st.saved[which % st.saved.size()];
  Bytes rec = s.record;
  rec[pos % rec.size()] ^= x ? x : 1;
  Bytes out(s.plaintext.size(), 0xA5);
  const Status d = st.ring.decrypt(rec, s.context, out);
  const Result<uint32_t> id = record_key_id(rec);
  if (!id.ok()) {
    FUZZ_CHECK(d.code() == ErrorCode::kAuthFailed);
  } else if (!has_data_key(st.ring, id.value())) {
    FUZZ_CHECK(d.code() == ErrorCode::kUnknownKey);
  } else {
    FUZZ_CHECK(d.code() == ErrorCode::kAuthFailed);
    FUZZ_CHECK(all_zero(out));
  }
}

void op_blind_index(Reader& r, State& st) {
  const uint8_t sel = r.u8();
  std::string scope, field;
  if ((sel & 0x80) == 0 && st.ring.size() > 0) {
    std::string_view a, b;
    split_scope(st.ring.entry(sel % st.ring.size()).scope, &a, &b);
    scope = a;
    field = b;
  } else {
    scope = sv(r.bytes(r.u8()));
    field = sv(r.bytes(r.u8()));
  }
  const uint8_t mode = r.u8();
  const unsigned bits = r.u16() % 300;
  const uint8_t keysel = r.u8();
  uint32_t key_id = 0;
  if (keysel % 3 == 1 && st.ring.size() > 0) {
    key_id = st.ring.entry(keysel % st.ring.size()).id;
  } else if (keysel % 3 == 2) {
    key_id = r.u32();
  }
  const ByteView value = r.bytes(r.u8());

  const Result<std::string> got = st.ring.blind_index(
      scope, field, value, static_cast<Normalization>(mode), bits, key_id);
  // The model of blind_index().
  ErrorCode expect = ErrorCode::kOk;
  const std::string index_scope = scope + "/" + field;
  const KeyEntryInfo* slot = key_id == 0
                                 ? primary_entry(st.ring, KeyKind::kIndex, index_scope)
                                 : find_entry(st.ring, key_id);
  if (!model_valid_name(scope) || !model_valid_name(field)) {
    expect = ErrorCode::kInvalidArgument;
  } else if (slot == nullptr || slot->kind != KeyKind::kIndex ||
             slot->scope != index_scope) {
    expect = ErrorCode::kUnknownKey;
  } else if (bits < 8 || bits > 256 || mode > 3 ||
             ((mode == 1 || mode == 2) && !valid_utf8(value))) {
    expect = ErrorCode::kInvalidArgument;
  }
  if (expect != ErrorCode::kOk) {
    FUZZ_CHECK(!got.ok() && got.status().code() == expect);
    return;
  }
  FUZZ_CHECK(got.ok());
  const std::string prefix = std::to_string(slot->id) + ":";
  const std::string& s = got.value();
  FUZZ_CHECK(s.size() == prefix.size() + (bits + 3) / 4);
  FUZZ_CHECK(s.compare(0, prefix.size(), prefix) == 0);
  FUZZ_CHECK(is_lower_hex(std::string_view(s).substr(prefix.size())));
  const Result<std::string> again = st.ring.blind_index(
      scope, field, value, static_cast<Normalization>(mode), bits, key_id);
  FUZZ_CHECK(again.ok() && again.value() == s);
}

void op_rewrap(Reader& r, State& st) {
  const uint8_t kek_sel = r.u8();
  Bytes kek;
  switch (kek_sel % 4) {
    case 0: kek.assign(kKek2, kKek2 + 32); break;
    case 1: kek.assign(kKek, kKek + 32); break;
    case 2: { ByteView b = r.bytes(32); kek.assign(b.begin(), b.end()); break; }
    case 3: { ByteView b = r.bytes(r.u8()); kek.assign(b.begin(), b.end()); break; }
  }
  const std::string kek_id(sv(r.bytes(r.u16() % 300)));
  std::vector<KeyEntryInfo> before;
  for (size_t i = 0; i < st.ring.size(); ++i) before.push_back(st.ring.entry(i));
  const Status s = st.ring.rewrap(kek, kek_id);
  const bool valid = kek.size() == 32 && kek_id.size() <= 255;
  FUZZ_CHECK(s.ok() == valid);
  FUZZ_CHECK(st.ring.size() == before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    const KeyEntryInfo& e = st.ring.entry(i);
    FUZZ_CHECK(e.id == before[i].id && e.kind == before[i].kind &&
               e.scope == before[i].scope && e.status == before[i].status);
    if (!s.ok()) FUZZ_CHECK(e.wrapped == before[i].wrapped);
  }
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument);
    return;
  }
  const bool changed = kek != st.kek || kek_id != st.kek_id;
  // The new wraps no longer import under the old KEK and KEK id.
  if (changed && st.ring.size() > 0) {
    Result<Keyring> old = Keyring::create(st.kek, kStore, st.kek_id, st.suite);
    FUZZ_CHECK(old.ok());
    const KeyEntryInfo& e = st.ring.entry(0);
    FUZZ_CHECK(old.value()
                   .import_entry(e.id, e.kind, e.scope, e.status, 0, e.wrapped)
                   .code() == ErrorCode::kKeyUnavailable);
  }
  st.kek = kek;
  st.kek_id = kek_id;
  check_saved(st.ring, st.saved);
  check_reimport(st.ring, st.kek, st.kek_id, st.suite, st.saved);
}

void op_status(Reader& r, State& st) {
  const uint8_t sub = r.u8();
  const uint8_t sel = r.u8();
  const uint8_t status = r.u8();
  uint32_t id = st.ring.size() > 0 ? st.ring.entry(sel % st.ring.size()).id : sel;
  if (sub & 0x80) id ^= 0x00010000;  // most likely not held
  const KeyEntryInfo* e = find_entry(st.ring, id);
  const size_t before = st.ring.size();
  switch (sub % 3) {
    case 0: {
      const bool was_primary = e != nullptr && e->status == KeyStatus::kPrimary;
      const Status s = st.ring.set_status(id, static_cast<KeyStatus>(status));
      if (e == nullptr) {
        FUZZ_CHECK(s.code() == ErrorCode::kUnknownKey);
      } else if (was_primary || (status != 2 && status != 3)) {
        FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument);
      } else {
        FUZZ_CHECK(s.ok());
        FUZZ_CHECK(static_cast<uint8_t>(find_entry(st.ring, id)->status) == status);
      }
      break;
    }
    case 1: {
      const Status s = st.ring.promote(id);
      FUZZ_CHECK(s.ok() == (e != nullptr));
      if (!s.ok()) FUZZ_CHECK(s.code() == ErrorCode::kUnknownKey);
      if (s.ok()) FUZZ_CHECK(find_entry(st.ring, id)->status == KeyStatus::kPrimary);
      break;
    }
    case 2: {
      const Status s = st.ring.remove(id);
      FUZZ_CHECK(s.ok() == (e != nullptr));
      if (!s.ok()) {
        FUZZ_CHECK(s.code() == ErrorCode::kUnknownKey);
      } else {
        FUZZ_CHECK(st.ring.size() == before - 1 && find_entry(st.ring, id) == nullptr);
        // Records under a removed key are no longer expected to open (an id
        // may be reused by a later import or rotation).
        std::erase_if(st.saved, [id](const Saved& s) { return s.key_id == id; });
      }
      break;
    }
  }
}

void op_rotate(Reader& r, State& st) {
  const uint8_t kind = r.u8();
  const std::string scope = pick_scope(r, st.ring, r.u8());
  const double created = r.u8();
  if (st.ring.size() >= kMaxKeyringEntries) return;
  const KeyEntryInfo* old = nullptr;
  uint32_t old_id = 0;
  if (kind == 1 || kind == 2) {
    old = primary_entry(st.ring, static_cast<KeyKind>(kind), scope);
    if (old) old_id = old->id;
  }
  const Result<uint32_t> id =
      st.ring.rotate(static_cast<KeyKind>(kind), scope, created);
  if (!model_valid_scope(kind, scope)) {
    FUZZ_CHECK(!id.ok() && id.status().code() == ErrorCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(id.ok());
  FUZZ_CHECK(id.value() != 0 && id.value() != old_id);
  const KeyEntryInfo* e = find_entry(st.ring, id.value());
  FUZZ_CHECK(e != nullptr && e->status == KeyStatus::kPrimary && e->scope == scope);
  if (old_id != 0) FUZZ_CHECK(find_entry(st.ring, old_id)->status == KeyStatus::kActive);
}

void op_secret(Reader& r, State& st) {
  const ByteView context = r.bytes(r.u8());
  const ByteView secret = r.bytes(r.u8());
  const uint16_t flip = r.u16();
  Bytes wrapped(kKeyringWrappedBytes);
  const Status s = st.ring.wrap_secret(context, secret, wrapped);
  if (secret.size() != 32) {
    FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(s.ok());
  Bytes back(32, 0xA5);
  FUZZ_CHECK(st.ring.unwrap_secret(context, wrapped, back).ok());
  FUZZ_CHECK(equal(bv(back), secret));
  Bytes other_context(context.begin(), context.end());
  other_context.push_back(static_cast<uint8_t>(flip));
  FUZZ_CHECK(st.ring.unwrap_secret(other_context, wrapped, back).code() ==
             ErrorCode::kKeyUnavailable);
  FUZZ_CHECK(all_zero(back));
  Bytes tampered = wrapped;
  tampered[flip % tampered.size()] ^= static_cast<uint8_t>(1u << (flip >> 13));
  FUZZ_CHECK(st.ring.unwrap_secret(context, tampered, back).code() ==
             ErrorCode::kKeyUnavailable);
  // A wrapped secret is never a keyring entry (the contexts are disjoint).
  Result<Keyring> probe = Keyring::create(st.kek, kStore, st.kek_id, st.suite);
  FUZZ_CHECK(probe.ok());
  FUZZ_CHECK(probe.value()
                 .import_entry(1 + (flip & 0xFF), KeyKind::kData, "notes",
                               KeyStatus::kActive, 0, wrapped)
                 .code() == ErrorCode::kKeyUnavailable);
  // Wrong sizes are refused.
  FUZZ_CHECK(st.ring.unwrap_secret(context, ByteView(wrapped).first(101), back)
                 .code() == ErrorCode::kInvalidArgument);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r(data, size);
  const uint8_t flags = r.u8();
  const uint8_t suite = (flags & 1) ? kSuiteChaCha20Poly1305Committed
                                    : kSuiteAes256GcmCommitted;
  Result<Keyring> ring = Keyring::create(kKek, kStore, kKekId, suite);
  FUZZ_CHECK(ring.ok());
  // Refused configurations.
  FUZZ_CHECK(Keyring::create(ByteView(kKek).first(31), kStore, kKekId, suite)
                 .status()
                 .code() == ErrorCode::kInvalidArgument);
  FUZZ_CHECK(Keyring::create(kKek, kStore, kKekId, static_cast<uint8_t>(flags | 4))
                 .status()
                 .code() == ErrorCode::kInvalidArgument);  // suites are 1 and 2
  State st{std::move(ring).value(), suite, Bytes(kKek, kKek + 32),
           std::string(kKekId), {}};

  size_t ops = 0;
  while (!r.empty() && ops++ < 64) {
    switch (r.u8() % kOpCount) {
      case kOpImport: op_import(r, st); break;
      case kOpEncrypt: op_encrypt(r, st); break;
      case kOpDecrypt: op_decrypt(r, st); break;
      case kOpTamper: op_tamper(r, st); break;
      case kOpBlindIndex: op_blind_index(r, st); break;
      case kOpRewrap: op_rewrap(r, st); break;
      case kOpStatus: op_status(r, st); break;
      case kOpRotate: op_rotate(r, st); break;
      case kOpReimport:
        check_reimport(st.ring, st.kek, st.kek_id, st.suite, st.saved);
        break;
      case kOpSecret: op_secret(r, st); break;
      case kOpDestroy:
        st.ring.destroy();
        check_locked(st.ring);
        return 0;
    }
    check_ring(st.ring);
  }
  check_saved(st.ring, st.saved);
  return 0;
}
