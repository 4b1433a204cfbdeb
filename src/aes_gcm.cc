#include "aes_gcm.h"

#include <cstring>
#include <type_traits>

extern "C" {
#include <bearssl_hash.h>
}

#include "aes_ct64x2.h"
#include "secret.h"

namespace enveil {
namespace {

// GHASH (BearSSL's ghash_ctmul64) over byte runs of any length: the AAD
// parts are one string, padded with zeros to a block once they are all in.
class Ghash {
 public:
  void start(const uint8_t* h) {
    std::memcpy(h_, h, sizeof h_);
    std::memset(y_, 0, sizeof y_);
  }
  void absorb(ByteView data) {
    const uint8_t* p = data.data();
    size_t n = data.size();
    if (n == 0) return;
    if (pending_ > 0) {
      const size_t take = n < kAesBlockBytes - pending_ ? n : kAesBlockBytes - pending_;
      std::memcpy(partial_ + pending_, p, take);
      pending_ += take;
      p += take;
      n -= take;
      if (pending_ < kAesBlockBytes) return;
      br_ghash_ctmul64(y_, h_, partial_, kAesBlockBytes);
      pending_ = 0;
    }
    const size_t whole = n - n % kAesBlockBytes;
    if (whole > 0) br_ghash_ctmul64(y_, h_, p, whole);
    std::memcpy(partial_, p + whole, n - whole);
    pending_ = n - whole;
  }
  // Zero-pads what absorb() left over.
  void pad() {
    if (pending_ > 0) br_ghash_ctmul64(y_, h_, partial_, pending_);
    pending_ = 0;
  }
  // Whole data, zero-padded (br_ghash_ctmul64 pads a final partial block).
  void blocks(const uint8_t* data, size_t n) {
    if (n > 0) br_ghash_ctmul64(y_, h_, data, n);
  }
  // The tag: GHASH of the lengths block, XORed with E(J0).
  void finish(uint64_t aad_bytes, uint64_t text_bytes, const uint8_t* ej0,
              uint8_t* tag) {
    uint8_t lengths[kAesBlockBytes];
    store_be32(lengths, static_cast<uint32_t>(aad_bytes >> 29));
    store_be32(lengths + 4, static_cast<uint32_t>(aad_bytes << 3));
    store_be32(lengths + 8, static_cast<uint32_t>(text_bytes >> 29));
    store_be32(lengths + 12, static_cast<uint32_t>(text_bytes << 3));
    br_ghash_ctmul64(y_, h_, lengths, sizeof lengths);
    for (size_t i = 0; i < kAesBlockBytes; ++i) tag[i] = y_[i] ^ ej0[i];
  }

 private:
  uint8_t h_[kAesBlockBytes];
  uint8_t y_[kAesBlockBytes];
  uint8_t partial_[kAesBlockBytes];  // AAD only: public
  size_t pending_ = 0;
};

// Everything here holds key material: wiped on every exit.
template <class Aes>
struct GcmState {
  Aes aes;
  Ghash ghash;
  // The first pass: H = E(0^128), E(J0) with J0 = nonce ‖ 1, then the key
  // stream for counters 2 .. kBlocksPerPass - 1.
  alignas(16) uint8_t first[Aes::kBlocksPerPass * kAesBlockBytes];
};

template <class Aes>
constexpr size_t kFirstStreamBytes = (Aes::kBlocksPerPass - 2) * kAesBlockBytes;

bool sizes_ok(ByteView key, ByteView nonce) {
  return key.size() == kAesGcmKeyBytes && nonce.size() == kAesGcmNonceBytes;
}

template <class Aes>
uint64_t start(GcmState<Aes>& s, ByteView key, ByteView nonce,
               std::initializer_list<ByteView> aad_parts) {
  s.aes.init(key.data(), key.size());
  std::memset(s.first, 0, kAesBlockBytes);
  for (size_t k = 1; k < Aes::kBlocksPerPass; ++k) {
    uint8_t* block = s.first + kAesBlockBytes * k;
    std::memcpy(block, nonce.data(), kAesGcmNonceBytes);
    store_be32(block + kAesGcmNonceBytes, static_cast<uint32_t>(k));
  }
  s.aes.encrypt_pass(s.first);
  s.ghash.start(s.first);
  uint64_t aad_bytes = 0;
  for (ByteView aad : aad_parts) {
    s.ghash.absorb(aad);
    aad_bytes += aad.size();
  }
  s.ghash.pad();
  return aad_bytes;
}

// CTR from counter 2: the first pass's key stream, then aes_ctr_run.
template <class Aes>
void crypt(GcmState<Aes>& s, ByteView nonce, uint8_t* data, size_t len) {
  const size_t head = len < kFirstStreamBytes<Aes> ? len : kFirstStreamBytes<Aes>;
  xor_bytes(data, s.first + 2 * kAesBlockBytes, head);
  if (len > head) {
    aes_ctr_run(s.aes, nonce.data(), static_cast<uint32_t>(Aes::kBlocksPerPass),
                data + head, len - head);
  }
}

template <class Aes>
Status seal(ByteView key, ByteView nonce, ByteView plaintext,
            std::initializer_list<ByteView> aad, MutableByteView out) {
  if (!sizes_ok(key, nonce) || uint64_t{plaintext.size()} > kAesGcmMaxPlaintextBytes ||
      out.size() != plaintext.size() + kAesGcmTagBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  GcmState<Aes> s;
  WipeOnExit<GcmState<Aes>> wipe(s);
  const uint64_t aad_bytes = start(s, key, nonce, aad);
  const size_t len = plaintext.size();
  if (len > 0) {
    std::memmove(out.data(), plaintext.data(), len);
    crypt(s, nonce, out.data(), len);
    s.ghash.blocks(out.data(), len);
  }
  s.ghash.finish(aad_bytes, len, s.first + kAesBlockBytes, out.data() + len);
  return Status::Ok();
}

template <class Aes>
Status open(ByteView key, ByteView nonce, ByteView sealed,
            std::initializer_list<ByteView> aad, MutableByteView out) {
  if (!sizes_ok(key, nonce) || sealed.size() < kAesGcmTagBytes ||
      uint64_t{sealed.size()} - kAesGcmTagBytes > kAesGcmMaxPlaintextBytes ||
      out.size() != sealed.size() - kAesGcmTagBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  const size_t len = out.size();
  uint8_t expected[kAesGcmTagBytes];
  uint8_t tag[kAesGcmTagBytes];
  // Copy the tag first: out may alias sealed.
  std::memcpy(tag, sealed.data() + len, kAesGcmTagBytes);
  GcmState<Aes> s;
  WipeOnExit<GcmState<Aes>> wipe(s);
  const uint64_t aad_bytes = start(s, key, nonce, aad);
  if (len > 0) {
    std::memmove(out.data(), sealed.data(), len);
    s.ghash.blocks(out.data(), len);
    crypt(s, nonce, out.data(), len);
  }
  s.ghash.finish(aad_bytes, len, s.first + kAesBlockBytes, expected);
  return release_if_tag_matches(expected, ByteView(tag), out)
             ? Status::Ok()
             : Status(ErrorCode::kAuthFailed);
}

using DefaultAes = std::conditional_t<kAesHasVectors, AesCt64x2, AesCt64>;

}  // namespace

AesKernel aes256gcm_default_kernel() noexcept {
  return std::is_same_v<DefaultAes, AesCt64x2> ? AesKernel::kCt64x2
                                               : AesKernel::kBearSslCt64;
}

Status aes256gcm_seal(ByteView key, ByteView nonce, ByteView plaintext,
                      ByteView aad, MutableByteView out) noexcept {
  return seal<DefaultAes>(key, nonce, plaintext, {aad}, out);
}

Status aes256gcm_open(ByteView key, ByteView nonce, ByteView sealed,
                      ByteView aad, MutableByteView out) noexcept {
  return open<DefaultAes>(key, nonce, sealed, {aad}, out);
}

Status aes256gcm_seal(ByteView key, ByteView nonce, ByteView plaintext,
                      std::initializer_list<ByteView> aad,
                      MutableByteView out) noexcept {
  return seal<DefaultAes>(key, nonce, plaintext, aad, out);
}

Status aes256gcm_open(ByteView key, ByteView nonce, ByteView sealed,
                      std::initializer_list<ByteView> aad,
                      MutableByteView out) noexcept {
  return open<DefaultAes>(key, nonce, sealed, aad, out);
}

Status aes256gcm_seal_with(AesKernel kernel, ByteView key, ByteView nonce,
                           ByteView plaintext, std::initializer_list<ByteView> aad,
                           MutableByteView out) noexcept {
  return kernel == AesKernel::kCt64x2
             ? seal<AesCt64x2>(key, nonce, plaintext, aad, out)
             : seal<AesCt64>(key, nonce, plaintext, aad, out);
}

Status aes256gcm_open_with(AesKernel kernel, ByteView key, ByteView nonce,
                           ByteView sealed, std::initializer_list<ByteView> aad,
                           MutableByteView out) noexcept {
  return kernel == AesKernel::kCt64x2 ? open<AesCt64x2>(key, nonce, sealed, aad, out)
                                      : open<AesCt64>(key, nonce, sealed, aad, out);
}

}  // namespace enveil
