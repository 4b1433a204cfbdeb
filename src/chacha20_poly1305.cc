#include "chacha20_poly1305.h"

#include <cstring>
#include <vector>

extern "C" {
#include <bearssl_block.h>
}

#include "aes_ct64x2.h"  // xor_bytes
#include "chacha20_x4.h"
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

// Our kernel behind br_poly1305_ctmul_run, which takes ChaCha20 as a
// br_chacha20_run callback and calls it twice per message: at counter 0 for
// the 32-byte Poly1305 key, then at counter 1 for the data. One batch of
// blocks 0..3, computed ahead, serves the key and the first 192 bytes of the
// data, so a record of up to 192 bytes costs one batch rather than two.
// br_poly1305_ctmul_run hands its `key` argument only to the callback, so
// that argument carries this context.
struct X4Context {
  uint8_t key[kChaChaPolyKeyBytes];
  uint8_t nonce[kChaChaPolyNonceBytes];            // what `first` was made for
  alignas(16) uint8_t first[kChaChaX4BatchBytes];  // key stream of blocks 0..3
};

uint32_t x4_chacha(const void* context, const void* iv, uint32_t cc, void* data,
                   size_t len) {
  const auto* ctx = static_cast<const X4Context*>(context);
  const uint32_t end =
      cc + static_cast<uint32_t>(len / kChaChaBlockBytes + (len % kChaChaBlockBytes != 0));
  uint8_t* p = static_cast<uint8_t*>(data);
  // Both the batch computed ahead and the rest of the key stream come from
  // the nonce the context was made for, so they cannot disagree; BearSSL 0.6
  // passes that same nonce as `iv`. (No comparison with `iv`: a record's
  // nonce is derived and secret, and the ct check rejects a branch on it.)
  (void)iv;
  if (cc < 4) {
    const size_t at = kChaChaBlockBytes * cc;
    const size_t n = len < sizeof ctx->first - at ? len : sizeof ctx->first - at;
    xor_bytes(p, ctx->first + at, n);
    p += n;
    len -= n;
    cc = 4;
  }
  if (len > 0) chacha20_x4_run(ctx->key, ctx->nonce, cc, p, len);
  return end;
}

// ChaCha20-Poly1305 in place over `data` (encrypt: then MAC; else MAC, then
// decrypt), the tag (computed) to `tag`.
void run(ChaChaKernel kernel, ByteView key, ByteView nonce, uint8_t* data, size_t len,
         const Joined& aad, uint8_t* tag, int encrypt) {
  if (kernel == ChaChaKernel::kX4) {
    X4Context ctx;
    std::memcpy(ctx.key, key.data(), sizeof ctx.key);
    std::memcpy(ctx.nonce, nonce.data(), sizeof ctx.nonce);
    chacha20_x4_keystream(ctx.key, nonce.data(), 0, ctx.first);
    br_poly1305_ctmul_run(&ctx, nonce.data(), data, len, aad.data(), aad.size(), tag,
                          x4_chacha, encrypt);
    secure_wipe(&ctx, sizeof ctx);
  } else {
    br_poly1305_ctmul_run(key.data(), nonce.data(), data, len, aad.data(), aad.size(), tag,
                          br_chacha20_ct_run, encrypt);
  }
}

constexpr ChaChaKernel kDefaultKernel =
    kChaChaHasVectors ? ChaChaKernel::kX4 : ChaChaKernel::kBearSslCt;

}  // namespace

ChaChaKernel chacha20poly1305_default_kernel() noexcept { return kDefaultKernel; }

Status chacha20poly1305_seal(ByteView key, ByteView nonce, ByteView plaintext,
                             std::initializer_list<ByteView> aad_parts,
                             MutableByteView out) noexcept {
  return chacha20poly1305_seal_with(kDefaultKernel, key, nonce, plaintext, aad_parts, out);
}

Status chacha20poly1305_open(ByteView key, ByteView nonce, ByteView sealed,
                             std::initializer_list<ByteView> aad_parts,
                             MutableByteView out) noexcept {
  return chacha20poly1305_open_with(kDefaultKernel, key, nonce, sealed, aad_parts, out);
}

Status chacha20poly1305_seal_with(ChaChaKernel kernel, ByteView key, ByteView nonce,
                                  ByteView plaintext,
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
  run(kernel, key, nonce, out.data(), plaintext.size(), aad, out.data() + plaintext.size(),
      1);
  return Status::Ok();
}

Status chacha20poly1305_open_with(ChaChaKernel kernel, ByteView key, ByteView nonce,
                                  ByteView sealed,
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
  run(kernel, key, nonce, out.data(), body, aad, expected, 0);
  return release_if_tag_matches(expected, ByteView(tag), out)
             ? Status::Ok()
             : Status(ErrorCode::kAuthFailed);
}

}  // namespace enveil
