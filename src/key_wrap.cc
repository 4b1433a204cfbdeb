#include "key_wrap.h"

namespace enveil {

Status wrap_key(const HmacSha256Key& kek, ByteView context, ByteView key,
                MutableByteView out) noexcept {
  if (!kek.valid()) return Status(ErrorCode::kLocked);
  if (key.size() != kRecordKeyBytes || out.size() != kWrappedKeyBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  return record_seal(kek, kKekKeyId, context, key, out);
}

Status unwrap_key(const HmacSha256Key& kek, ByteView context,
                  ByteView wrapped, MutableByteView out) noexcept {
  // Not kKeyUnavailable: no key was tried.
  if (!kek.valid()) return Status(ErrorCode::kLocked);
  if (wrapped.size() != kWrappedKeyBytes || out.size() != kRecordKeyBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  Result<uint32_t> id = record_key_id(wrapped);
  if (!id.ok() || id.value() != kKekKeyId ||
      !record_open(kek, wrapped, context, out).ok()) {
    return Status(ErrorCode::kKeyUnavailable);
  }
  return Status::Ok();
}

}  // namespace enveil
