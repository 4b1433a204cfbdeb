#include "hmac.h"

#include <utility>

extern "C" {
#include <bearssl_hash.h>
}

#include "secret.h"

namespace enveil {

HmacSha256Key::HmacSha256Key(ByteView key) noexcept {
  // An empty span may have a null data(): BearSSL memcpy()s from it.
  static const uint8_t kEmpty[1] = {0};
  br_hmac_key_init(&ctx_, &br_sha256_vtable, key.empty() ? kEmpty : key.data(),
                   key.size());
}

HmacSha256Key::~HmacSha256Key() { secure_wipe(&ctx_, sizeof ctx_); }

HmacSha256Key::HmacSha256Key(HmacSha256Key&& other) noexcept
    : ctx_(other.ctx_) {
  secure_wipe(&other.ctx_, sizeof other.ctx_);
}

HmacSha256Key& HmacSha256Key::operator=(HmacSha256Key&& other) noexcept {
  if (this != &other) {
    ctx_ = other.ctx_;
    secure_wipe(&other.ctx_, sizeof other.ctx_);
  }
  return *this;
}

void HmacSha256Key::mac(std::initializer_list<ByteView> parts,
                        uint8_t out[kHmacSha256Bytes]) const noexcept {
  HmacSha256 h(*this);
  for (ByteView part : parts) h.update(part);
  h.finish(out);
}

HmacSha256::HmacSha256(const HmacSha256Key& key) noexcept {
  br_hmac_init(&ctx_, &key.ctx_, 0);
}

HmacSha256::~HmacSha256() { secure_wipe(&ctx_, sizeof ctx_); }

void HmacSha256::update(ByteView data) noexcept {
  if (!data.empty()) br_hmac_update(&ctx_, data.data(), data.size());
}

void HmacSha256::finish(uint8_t out[kHmacSha256Bytes]) noexcept {
  br_hmac_out(&ctx_, out);
}

Status hmac_sha256(const HmacSha256Key& key, ByteView message,
                   MutableByteView out) noexcept {
  if (!key.valid()) return Status(ErrorCode::kLocked);
  if (out.size() != kHmacSha256Bytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  key.mac({message}, out.data());
  return Status::Ok();
}

Status hmac_sha256(ByteView key, ByteView message,
                   MutableByteView out) noexcept {
  if (out.size() != kHmacSha256Bytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  return hmac_sha256(HmacSha256Key(key), message, out);
}

Status hmac_sha256_verify(const HmacSha256Key& key, ByteView message,
                          ByteView tag) noexcept {
  if (!key.valid()) return Status(ErrorCode::kLocked);
  if (tag.size() < kHmacSha256MinVerifyBytes ||
      tag.size() > kHmacSha256Bytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  uint8_t expected[kHmacSha256Bytes];
  key.mac({message}, expected);
  const bool good = ct_equal(ByteView(expected, tag.size()), tag);
  secure_wipe(expected, sizeof expected);
  return good ? Status::Ok() : Status(ErrorCode::kAuthFailed);
}

Status hmac_sha256_verify(ByteView key, ByteView message,
                          ByteView tag) noexcept {
  if (tag.size() < kHmacSha256MinVerifyBytes ||
      tag.size() > kHmacSha256Bytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  return hmac_sha256_verify(HmacSha256Key(key), message, tag);
}

}  // namespace enveil
