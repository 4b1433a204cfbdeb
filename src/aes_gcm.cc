#include "aes_gcm.h"

#include <cstring>

extern "C" {
#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_hash.h>
}

#include "secret.h"

namespace enveil {
namespace {

// Both contexts hold the expanded key or the GHASH key: wiped on every exit.
struct GcmState {
  br_aes_ct64_ctr_keys aes;
  br_gcm_context gcm;
};

bool sizes_ok(ByteView key, ByteView nonce) {
  return key.size() == kAesGcmKeyBytes && nonce.size() == kAesGcmNonceBytes;
}

void start(GcmState& s, ByteView key, ByteView nonce,
           std::initializer_list<ByteView> aad_parts) {
  br_aes_ct64_ctr_init(&s.aes, key.data(), key.size());
  br_gcm_init(&s.gcm, &s.aes.vtable, br_ghash_ctmul64);
  br_gcm_reset(&s.gcm, nonce.data(), nonce.size());
  for (ByteView aad : aad_parts) {
    if (!aad.empty()) br_gcm_aad_inject(&s.gcm, aad.data(), aad.size());
  }
  br_gcm_flip(&s.gcm);
}

}  // namespace

Status aes256gcm_seal(ByteView key, ByteView nonce, ByteView plaintext,
                      ByteView aad, MutableByteView out) noexcept {
  return aes256gcm_seal(key, nonce, plaintext, {aad}, out);
}

Status aes256gcm_open(ByteView key, ByteView nonce, ByteView sealed,
                      ByteView aad, MutableByteView out) noexcept {
  return aes256gcm_open(key, nonce, sealed, {aad}, out);
}

Status aes256gcm_seal(ByteView key, ByteView nonce, ByteView plaintext,
                      std::initializer_list<ByteView> aad,
                      MutableByteView out) noexcept {
  if (!sizes_ok(key, nonce) || uint64_t{plaintext.size()} > kAesGcmMaxPlaintextBytes ||
      out.size() != plaintext.size() + kAesGcmTagBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  GcmState s;
  WipeOnExit<GcmState> wipe(s);
  start(s, key, nonce, aad);
  if (!plaintext.empty()) {
    std::memmove(out.data(), plaintext.data(), plaintext.size());
    br_gcm_run(&s.gcm, 1, out.data(), plaintext.size());
  }
  br_gcm_get_tag(&s.gcm, out.data() + plaintext.size());
  return Status::Ok();
}

Status aes256gcm_open(ByteView key, ByteView nonce, ByteView sealed,
                      std::initializer_list<ByteView> aad,
                      MutableByteView out) noexcept {
  if (!sizes_ok(key, nonce) || sealed.size() < kAesGcmTagBytes ||
      uint64_t{sealed.size()} - kAesGcmTagBytes > kAesGcmMaxPlaintextBytes ||
      out.size() != sealed.size() - kAesGcmTagBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  const size_t body = out.size();
  uint8_t expected[kAesGcmTagBytes];
  uint8_t tag[kAesGcmTagBytes];
  // Copy the tag first: out may alias sealed.
  std::memcpy(tag, sealed.data() + body, kAesGcmTagBytes);
  GcmState s;
  WipeOnExit<GcmState> wipe(s);
  start(s, key, nonce, aad);
  if (body) {
    std::memmove(out.data(), sealed.data(), body);
    br_gcm_run(&s.gcm, 0, out.data(), body);
  }
  br_gcm_get_tag(&s.gcm, expected);
  return release_if_tag_matches(expected, ByteView(tag), out)
             ? Status::Ok()
             : Status(ErrorCode::kAuthFailed);
}

}  // namespace enveil
