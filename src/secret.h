// Secret memory: a move-only buffer wiped on destruction, a wipe that the
// compiler cannot elide, and the one constant-time comparison used for every
// tag and commitment.
#ifndef ENVEIL_SECRET_H_
#define ENVEIL_SECRET_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "bytes.h"

namespace enveil {

// Overwrites `len` bytes at `p` with zeros: memset, then a compiler barrier
// that takes the pointer and clobbers memory, so the stores are never
// dropped as dead (checked in the -O3 -flto output of clang, g++ and em++).
void secure_wipe(void* p, size_t len) noexcept;

// Compares two byte strings in time that depends only on their lengths
// (lengths are public). Returns true when both have the same length and
// content.
bool ct_equal(ByteView a, ByteView b) noexcept;

// The last step of every AEAD open: compares the computed tag with the
// received one in constant time, wipes the computed tag, and on a mismatch
// wipes `out` (the unauthenticated plaintext) and returns false.
bool release_if_tag_matches(uint8_t* expected, ByteView received,
                            MutableByteView out) noexcept;

// Owns secret bytes (keys, plaintext in flight). Move-only; the storage is
// wiped before it is released, on destruction or on move-assignment.
class SecretBuffer {
 public:
  SecretBuffer() = default;
  explicit SecretBuffer(size_t size);
  ~SecretBuffer();

  SecretBuffer(SecretBuffer&& other) noexcept;
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;

  // Copies `bytes` into a new buffer.
  static SecretBuffer copy_of(ByteView bytes);

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  ByteView view() const { return {data_.get(), size_}; }
  MutableByteView mutable_view() { return {data_.get(), size_}; }

  // Wipes and releases the storage; size() becomes 0.
  void reset() noexcept;

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

// Wipes an object (typically a BearSSL context holding a key schedule) when
// the scope ends, whatever path leaves it.
template <typename T>
class WipeOnExit {
 public:
  explicit WipeOnExit(T& object) : object_(object) {}
  ~WipeOnExit() { secure_wipe(&object_, sizeof(T)); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  T& object_;
};

}  // namespace enveil

#endif  // ENVEIL_SECRET_H_
