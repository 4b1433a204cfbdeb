#include "keyring.h"

#include <cstring>
#include <utility>

#include "random.h"
#include "record_format.h"

namespace enveil {
namespace {

constexpr char kWrapLabel[] = "enveil/v1/dek";
constexpr char kSecretLabel[] = "enveil/v1/secret";

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kKeyringMaxNameBytes &&
         name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

bool valid_kind(KeyKind kind) {
  return kind == KeyKind::kData || kind == KeyKind::kIndex;
}

bool valid_status(KeyStatus status) {
  return status == KeyStatus::kPrimary || status == KeyStatus::kActive ||
         status == KeyStatus::kRetired;
}

void append_lp(std::vector<uint8_t>& out, std::string_view s) {
  uint8_t len[4];
  store_be32(len, static_cast<uint32_t>(s.size()));
  out.insert(out.end(), len, len + 4);
  out.insert(out.end(), s.begin(), s.end());
}

ByteView bytes_of(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

}  // namespace

bool valid_scope(KeyKind kind, std::string_view scope) {
  if (kind == KeyKind::kData) return valid_name(scope);
  if (kind != KeyKind::kIndex) return false;
  const size_t slash = scope.find('/');
  return slash != std::string_view::npos &&
         valid_name(scope.substr(0, slash)) &&
         valid_name(scope.substr(slash + 1));
}

Result<Keyring> Keyring::create(ByteView kek, std::string_view store,
                                std::string_view kek_id, uint8_t suite) {
  if (kek.size() != kKeyringKekBytes || store.size() > kKeyringMaxNameBytes ||
      kek_id.size() > kKeyringMaxNameBytes || !record_suite_known(suite)) {
    return ErrorCode::kInvalidArgument;
  }
  Keyring ring;
  ring.kek_ = HmacSha256Key(kek);
  ring.store_ = std::string(store);
  ring.kek_id_ = std::string(kek_id);
  ring.suite_ = suite;
  return ring;
}

std::vector<uint8_t> Keyring::wrap_context(uint32_t id, KeyKind kind,
                                           std::string_view scope) const {
  std::vector<uint8_t> ctx(kWrapLabel, kWrapLabel + sizeof kWrapLabel - 1);
  append_lp(ctx, store_);
  append_lp(ctx, kek_id_);
  uint8_t id_bytes[4];
  store_be32(id_bytes, id);
  ctx.insert(ctx.end(), id_bytes, id_bytes + 4);
  ctx.push_back(static_cast<uint8_t>(kind));
  append_lp(ctx, scope);
  return ctx;
}

const Keyring::Slot* Keyring::find(uint32_t id) const {
  for (const Slot& s : slots_) {
    if (s.info.id == id) return &s;
  }
  return nullptr;
}

Keyring::Slot* Keyring::find(uint32_t id) {
  return const_cast<Slot*>(std::as_const(*this).find(id));
}

const Keyring::Slot* Keyring::primary(KeyKind kind,
                                      std::string_view scope) const {
  for (const Slot& s : slots_) {
    if (s.info.kind == kind && s.info.status == KeyStatus::kPrimary &&
        s.info.scope == scope) {
      return &s;
    }
  }
  return nullptr;
}

Keyring::Slot* Keyring::primary(KeyKind kind, std::string_view scope) {
  return const_cast<Slot*>(std::as_const(*this).primary(kind, scope));
}

Status Keyring::import_entry(uint32_t id, KeyKind kind, std::string_view scope,
                             KeyStatus status, double created_at_ms,
                             ByteView wrapped) {
  if (!kek_.valid()) return Status(ErrorCode::kLocked);
  if (id == kKekKeyId || find(id) != nullptr || !valid_kind(kind) ||
      !valid_status(status) || !valid_scope(kind, scope) ||
      wrapped.size() != kKeyringWrappedBytes ||
      (status == KeyStatus::kPrimary && primary(kind, scope) != nullptr)) {
    return Status(ErrorCode::kInvalidArgument);
  }
  SecretBuffer key(kKeyringKeyBytes);
  const std::vector<uint8_t> ctx = wrap_context(id, kind, scope);
  ENVEIL_RETURN_IF_ERROR(
      unwrap_key(kek_, bytes_of(ctx), wrapped, key.mutable_view()));
  Slot slot{KeyEntryInfo{id, kind, std::string(scope), status, created_at_ms,
                         std::vector<uint8_t>(wrapped.begin(), wrapped.end())},
            HmacSha256Key(key.view())};
  slots_.push_back(std::move(slot));
  return Status::Ok();
}

Result<uint32_t> Keyring::rotate(KeyKind kind, std::string_view scope,
                                 double created_at_ms) {
  if (!kek_.valid()) return ErrorCode::kLocked;
  if (!valid_scope(kind, scope)) return ErrorCode::kInvalidArgument;
  uint32_t id = kKekKeyId;
  while (id == kKekKeyId || find(id) != nullptr) {
    uint8_t id_bytes[4];
    ENVEIL_RETURN_IF_ERROR(random_fill(id_bytes));
    id = load_be32(id_bytes);
  }
  SecretBuffer key(kKeyringKeyBytes);
  ENVEIL_RETURN_IF_ERROR(random_fill(key.mutable_view()));
  std::vector<uint8_t> wrapped(kKeyringWrappedBytes);
  const std::vector<uint8_t> ctx = wrap_context(id, kind, scope);
  ENVEIL_RETURN_IF_ERROR(wrap_key(kek_, bytes_of(ctx), key.view(), wrapped));
  if (Slot* old = primary(kind, scope)) old->info.status = KeyStatus::kActive;
  slots_.push_back(Slot{KeyEntryInfo{id, kind, std::string(scope),
                                     KeyStatus::kPrimary, created_at_ms,
                                     std::move(wrapped)},
                        HmacSha256Key(key.view())});
  return id;
}

Status Keyring::set_status(uint32_t id, KeyStatus status) {
  Slot* slot = find(id);
  if (slot == nullptr) return Status(ErrorCode::kUnknownKey);
  if (slot->info.status == KeyStatus::kPrimary ||
      (status != KeyStatus::kActive && status != KeyStatus::kRetired)) {
    return Status(ErrorCode::kInvalidArgument);
  }
  slot->info.status = status;
  return Status::Ok();
}

Status Keyring::promote(uint32_t id) {
  Slot* slot = find(id);
  if (slot == nullptr) return Status(ErrorCode::kUnknownKey);
  Slot* current = primary(slot->info.kind, slot->info.scope);
  if (current != nullptr && current != slot) {
    current->info.status = KeyStatus::kActive;
  }
  slot->info.status = KeyStatus::kPrimary;
  return Status::Ok();
}

Status Keyring::remove(uint32_t id) {
  for (auto it = slots_.begin(); it != slots_.end(); ++it) {
    if (it->info.id == id) {
      slots_.erase(it);  // the slot's HmacSha256Key wipes itself
      return Status::Ok();
    }
  }
  return Status(ErrorCode::kUnknownKey);
}

Status Keyring::rewrap(ByteView new_kek, std::string_view new_kek_id) {
  if (!kek_.valid()) return Status(ErrorCode::kLocked);
  Result<Keyring> target = create(new_kek, store_, new_kek_id, suite_);
  if (!target.ok()) return target.status();
  std::vector<std::vector<uint8_t>> rewrapped;
  rewrapped.reserve(slots_.size());
  for (const Slot& s : slots_) {
    SecretBuffer key(kKeyringKeyBytes);
    const std::vector<uint8_t> old_ctx =
        wrap_context(s.info.id, s.info.kind, s.info.scope);
    ENVEIL_RETURN_IF_ERROR(unwrap_key(kek_, bytes_of(old_ctx),
                                      bytes_of(s.info.wrapped),
                                      key.mutable_view()));
    std::vector<uint8_t> wrapped(kKeyringWrappedBytes);
    const std::vector<uint8_t> new_ctx =
        target.value().wrap_context(s.info.id, s.info.kind, s.info.scope);
    ENVEIL_RETURN_IF_ERROR(
        wrap_key(target.value().kek_, bytes_of(new_ctx), key.view(), wrapped));
    rewrapped.push_back(std::move(wrapped));
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].info.wrapped = std::move(rewrapped[i]);
  }
  kek_ = std::move(target.value().kek_);
  kek_id_ = std::string(new_kek_id);
  return Status::Ok();
}

std::vector<uint8_t> Keyring::secret_context(ByteView context) const {
  std::vector<uint8_t> ctx(kSecretLabel, kSecretLabel + sizeof kSecretLabel - 1);
  append_lp(ctx, store_);
  ctx.insert(ctx.end(), context.begin(), context.end());
  return ctx;
}

Status Keyring::wrap_secret(ByteView context, ByteView secret,
                            MutableByteView out) const {
  if (!kek_.valid()) return Status(ErrorCode::kLocked);
  return wrap_key(kek_, bytes_of(secret_context(context)), secret, out);
}

Status Keyring::unwrap_secret(ByteView context, ByteView wrapped,
                              MutableByteView out) const {
  if (!kek_.valid()) return Status(ErrorCode::kLocked);
  return unwrap_key(kek_, bytes_of(secret_context(context)), wrapped, out);
}

Status Keyring::encrypt(std::string_view scope, ByteView context,
                        ByteView plaintext, MutableByteView out) const {
  if (!kek_.valid()) return Status(ErrorCode::kLocked);
  const Slot* slot = primary(KeyKind::kData, scope);
  if (slot == nullptr) return Status(ErrorCode::kUnknownKey);
  return record_seal(slot->key, slot->info.id, context, plaintext, out,
                     suite_);
}

Status Keyring::decrypt(ByteView record, ByteView context,
                        MutableByteView out) const {
  if (!kek_.valid()) return Status(ErrorCode::kLocked);
  Result<uint32_t> id = record_key_id(record);
  if (!id.ok()) return id.status();
  const Slot* slot = find(id.value());
  if (slot == nullptr || slot->info.kind != KeyKind::kData) {
    return Status(ErrorCode::kUnknownKey);
  }
  return record_open(slot->key, record, context, out);
}

Result<std::string> Keyring::blind_index(std::string_view scope,
                                         std::string_view field,
                                         ByteView value, Normalization mode,
                                         unsigned bits, uint32_t key_id) const {
  if (!kek_.valid()) return ErrorCode::kLocked;
  if (!valid_name(scope) || !valid_name(field)) {
    return ErrorCode::kInvalidArgument;
  }
  std::string index_scope(scope);
  index_scope += '/';
  index_scope += field;
  const Slot* slot = key_id == 0 ? primary(KeyKind::kIndex, index_scope)
                                 : find(key_id);
  if (slot == nullptr || slot->info.kind != KeyKind::kIndex ||
      slot->info.scope != index_scope) {
    return ErrorCode::kUnknownKey;
  }
  Result<std::string> hex = blind_index_hex(slot->key, value, mode, bits);
  if (!hex.ok()) return hex.status();
  return std::to_string(slot->info.id) + ":" + hex.value();
}

void Keyring::destroy() {
  slots_.clear();  // each HmacSha256Key wipes itself
  kek_ = HmacSha256Key();
}

}  // namespace enveil
