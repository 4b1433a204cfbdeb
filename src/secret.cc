#include "secret.h"

#include <cstring>

#ifdef ENVEIL_CT_CHECK
#include <valgrind/memcheck.h>
#endif

namespace enveil {

void secure_wipe(void* p, size_t len) noexcept {
  if (len == 0) return;
  // memset at memset's speed (a byte-wise volatile loop cost ~0.25 µs per
  // KiB in WASM, ~15% of a 32-byte AES-GCM seal), then a compiler barrier
  // that takes the pointer and clobbers memory, so the stores cannot be
  // dropped as dead (BoringSSL's OPENSSL_cleanse does the same).
  std::memset(p, 0, len);
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

bool ct_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  uint32_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= uint32_t{a[i]} ^ b[i];
  // diff is 0..255; map 0 to 1 and anything else to 0 without a branch.
  return ((diff - 1) >> 31) == 1;
}

bool release_if_tag_matches(uint8_t* expected, ByteView received,
                            MutableByteView out) noexcept {
  bool good = ct_equal(ByteView(expected, received.size()), received);
#ifdef ENVEIL_CT_CHECK
  // Accept or reject is public (scripts/test-ct.sh treats ct_equal's result
  // so at its call sites; this one is inside ct_equal's own file).
  VALGRIND_MAKE_MEM_DEFINED(&good, sizeof good);
#endif
  secure_wipe(expected, received.size());
  if (!good) secure_wipe(out.data(), out.size());
  return good;
}

SecretBuffer::SecretBuffer(size_t size)
    : data_(size ? new uint8_t[size]() : nullptr), size_(size) {}

SecretBuffer::~SecretBuffer() { reset(); }

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(std::move(other.data_)), size_(other.size_) {
  other.size_ = 0;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::move(other.data_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

SecretBuffer SecretBuffer::copy_of(ByteView bytes) {
  SecretBuffer out(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

void SecretBuffer::reset() noexcept {
  if (data_) secure_wipe(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

}  // namespace enveil
