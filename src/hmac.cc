#include "hmac.h"

#include <cstring>
#include <utility>

#include "secret.h"

namespace enveil {
namespace {

constexpr uint8_t kIpad = 0x36;
constexpr uint8_t kOpad = 0x5c;

// The state after one block: the key block XOR pad, compressed from the IV.
Sha256State padded_key_state(const uint8_t block[kSha256BlockBytes]) {
  Sha256State s = sha256_initial_state();
  sha256_compress(s.h, block, 1);
  s.bytes = kSha256BlockBytes;
  return s;
}

}  // namespace

HmacSha256Key::HmacSha256Key(ByteView key) noexcept {
  // RFC 2104: a key longer than the block is hashed first; the key is then
  // zero-padded to the block. Only the key's length decides the branch.
  uint8_t block[kSha256BlockBytes] = {};
  if (key.size() > kSha256BlockBytes) {
    sha256(key, block);
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  for (uint8_t& b : block) b ^= kIpad;
  inner_ = padded_key_state(block);
  for (uint8_t& b : block) b ^= kIpad ^ kOpad;
  outer_ = padded_key_state(block);
  secure_wipe(block, sizeof block);
}

HmacSha256Key::~HmacSha256Key() {
  secure_wipe(&inner_, sizeof inner_);
  secure_wipe(&outer_, sizeof outer_);
}

HmacSha256Key::HmacSha256Key(HmacSha256Key&& other) noexcept
    : inner_(other.inner_), outer_(other.outer_) {
  secure_wipe(&other.inner_, sizeof other.inner_);
  secure_wipe(&other.outer_, sizeof other.outer_);
}

HmacSha256Key& HmacSha256Key::operator=(HmacSha256Key&& other) noexcept {
  if (this != &other) {
    inner_ = other.inner_;
    outer_ = other.outer_;
    secure_wipe(&other.inner_, sizeof other.inner_);
    secure_wipe(&other.outer_, sizeof other.outer_);
  }
  return *this;
}

void HmacSha256Key::mac(std::initializer_list<ByteView> parts,
                        uint8_t out[kHmacSha256Bytes]) const noexcept {
  HmacSha256 h(*this);
  for (ByteView part : parts) h.update(part);
  h.finish(out);
}

HmacSha256::HmacSha256(const HmacSha256Key& key) noexcept
    : inner_(key.inner_), outer_(key.outer_) {
  // An invalid key has an all-zero state: a MAC from it would be one anyone
  // can compute. Every caller checks valid() first; stop rather than fail open.
  if (!key.valid()) __builtin_trap();
}

HmacSha256::~HmacSha256() { secure_wipe(&outer_, sizeof outer_); }

void HmacSha256::update(ByteView data) noexcept { inner_.update(data); }

void HmacSha256::finish(uint8_t out[kHmacSha256Bytes]) noexcept {
  uint8_t digest[kSha256Bytes];
  inner_.finish(digest);
  Sha256 outer(outer_);
  outer.update(ByteView(digest));
  outer.finish(out);
  secure_wipe(digest, sizeof digest);
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
