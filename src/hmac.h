// HMAC-SHA256 (RFC 2104) over our SHA-256 compression (sha256.h; BearSSL's
// br_hmac over br_sha256 is the oracle it is fuzzed against).
// HmacSha256Key keeps the two padded-key hash states, so a key used for many
// messages (a data key, an index key) pays for its pads once.
#ifndef ENVEIL_HMAC_H_
#define ENVEIL_HMAC_H_

#include <initializer_list>

#include "bytes.h"
#include "sha256.h"
#include "status.h"

namespace enveil {

inline constexpr size_t kHmacSha256Bytes = 32;
// Shortest tag hmac_sha256_verify() accepts (NIST SP 800-107: >= 32 bits;
// we ask for 128 to keep forgery odds negligible).
inline constexpr size_t kHmacSha256MinVerifyBytes = 16;

// A precomputed HMAC-SHA256 key; wiped on destruction. Move-only.
class HmacSha256Key {
 public:
  HmacSha256Key() = default;
  // Any key length is valid HMAC; keys longer than 64 bytes are hashed.
  explicit HmacSha256Key(ByteView key) noexcept;
  ~HmacSha256Key();
  HmacSha256Key(HmacSha256Key&& other) noexcept;
  HmacSha256Key& operator=(HmacSha256Key&& other) noexcept;
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // False for a default-constructed, moved-from or wiped key: using one is a
  // caller error (Keyring reports kLocked).
  bool valid() const { return inner_.bytes != 0; }

  // MAC of the concatenation of `parts`, written to out[0..31].
  // Precondition: valid() (an invalid key has no hash state to run); the
  // Status-returning functions that take a key check it and answer kLocked.
  void mac(std::initializer_list<ByteView> parts,
           uint8_t out[kHmacSha256Bytes]) const noexcept;

 private:
  friend class HmacSha256;
  // The states after the key block XOR ipad and XOR opad ("cached pads");
  // bytes == 64 when set, 0 (all wiped) otherwise.
  Sha256State inner_{};
  Sha256State outer_{};
};

// One running MAC under a precomputed key: update() any number of times, then
// finish() once. The running state is wiped on destruction. Precondition:
// key.valid().
class HmacSha256 {
 public:
  explicit HmacSha256(const HmacSha256Key& key) noexcept;
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  void update(ByteView data) noexcept;
  void finish(uint8_t out[kHmacSha256Bytes]) noexcept;

 private:
  Sha256 inner_;
  Sha256State outer_;
};

// out must be exactly 32 bytes (kInvalidArgument otherwise).
Status hmac_sha256(ByteView key, ByteView message,
                   MutableByteView out) noexcept;
// The same under a precomputed key (two SHA-256 blocks fewer per message);
// kLocked for a key that is not valid().
Status hmac_sha256(const HmacSha256Key& key, ByteView message,
                   MutableByteView out) noexcept;

// Checks `tag` (full 32 bytes, or a truncated prefix of at least
// kHmacSha256MinVerifyBytes) in constant time. Errors: kInvalidArgument for a
// tag length outside [16, 32]; kAuthFailed for a mismatch.
Status hmac_sha256_verify(ByteView key, ByteView message,
                          ByteView tag) noexcept;
// The same under a precomputed key; kLocked for a key that is not valid().
Status hmac_sha256_verify(const HmacSha256Key& key, ByteView message,
                          ByteView tag) noexcept;

}  // namespace enveil

#endif  // ENVEIL_HMAC_H_
