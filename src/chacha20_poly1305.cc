#include "chacha20_poly1305.h"

#include <cstring>
#include <vector>

extern "C" {
#include <bearssl_block.h>
}

#include "secret.h"

namespace enveil {
namespace {

bool sizes_ok(ByteView key, ByteView nonce) {
  return key.size() == kChaChaPolyKeyBytes &&
         nonce.size() == kChaChaPolyNonceBytes;
}

// BearSSL takes the AAD in one piece. A record's AAD (header, context
// length, context) is usually short: joined on the stack, without the heap
// allocation a vector costs on every call; longer ones go to the heap.
class Joined {
 public:
  explicit Joined(std::initializer_list<ByteView> parts) {
    size_t total = 0;
    for (ByteView p : parts) total += p.size();
    uint8_t* at = total <= sizeof small_ ? small_ : (large_.resize(total), large_.data());
    data_ = at;
    size_ = total;
    for (ByteView p : parts) {
      if (!p.empty()) std::memcpy(at, p.data(), p.size());
      at += p.size();
    }
  }
  Joined(const Joined&) = delete;
  Joined& operator=(const Joined&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t small_[256];
  std::vector<uint8_t> large_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

Status chacha20poly1305_seal(ByteView key, ByteView nonce, ByteView plaintext,
                             std::initializer_list<ByteView> aad_parts,
                             MutableByteView out) noexcept {
  if (!sizes_ok(key, nonce) ||
      uint64_t{plaintext.size()} > kChaChaPolyMaxPlaintextBytes ||
      out.size() != plaintext.size() + kChaChaPolyTagBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  const Joined aad(aad_parts);
  if (!plaintext.empty()) {
    std::memmove(out.data(), plaintext.data(), plaintext.size());
  }
  br_poly1305_ctmul_run(key.data(), nonce.data(), out.data(), plaintext.size(),
                        aad.data(), aad.size(), out.data() + plaintext.size(),
                        br_chacha20_ct_run, 1);
  return Status::Ok();
}

Status chacha20poly1305_open(ByteView key, ByteView nonce, ByteView sealed,
                             std::initializer_list<ByteView> aad_parts,
                             MutableByteView out) noexcept {
  if (!sizes_ok(key, nonce) || sealed.size() < kChaChaPolyTagBytes ||
      uint64_t{sealed.size()} - kChaChaPolyTagBytes > kChaChaPolyMaxPlaintextBytes ||
      out.size() != sealed.size() - kChaChaPolyTagBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  const size_t body = out.size();
  uint8_t tag[kChaChaPolyTagBytes];
  uint8_t expected[kChaChaPolyTagBytes];
  std::memcpy(tag, sealed.data() + body, sizeof tag);
  const Joined aad(aad_parts);
  if (body) std::memmove(out.data(), sealed.data(), body);
  br_poly1305_ctmul_run(key.data(), nonce.data(), out.data(), body, aad.data(),
                        aad.size(), expected, br_chacha20_ct_run, 0);
  return release_if_tag_matches(expected, ByteView(tag), out)
             ? Status::Ok()
             : Status(ErrorCode::kAuthFailed);
}

}  // namespace enveil
