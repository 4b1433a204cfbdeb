// Embind glue: marshalling only. Byte arguments arrive as (pointer, length)
// pairs into memory the JS side allocated, copied into, and will wipe and
// free; outputs go to a caller-allocated buffer of the exact size. Every
// function returns 0 (or a non-negative value) on success and -ErrorCode on
// failure. No decisions are made here.
#include <emscripten/bind.h>
#include <emscripten/stack.h>
#include <emscripten/val.h>

#include "marshal.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "aes_gcm.h"
#include "blind_index.h"
#include "chacha20_poly1305.h"
#include "hkdf.h"
#include "hmac.h"
#include "key_wrap.h"
#include "keyring.h"
#include "random.h"
#include "record_format.h"

namespace enveil {
namespace {

using emscripten::val;

using marshal::in;
using marshal::LargeBurn;
using marshal::out;
using marshal::rc;
using marshal::SmallBurn;
using marshal::kStackBurnLarge;
using marshal::kStackBurnSmall;

// The stack pointer at an entry point's level, for the stack-burn test.
uintptr_t stackPointer() { return emscripten_stack_get_current(); }

int aes256gcmSeal(uintptr_t key, size_t key_len, uintptr_t nonce,
                  size_t nonce_len, uintptr_t pt, size_t pt_len, uintptr_t aad,
                  size_t aad_len, uintptr_t dst, size_t dst_len) {
  LargeBurn burn;
  return rc(aes256gcm_seal(in(key, key_len), in(nonce, nonce_len),
                           in(pt, pt_len), in(aad, aad_len), out(dst, dst_len)));
}

int aes256gcmOpen(uintptr_t key, size_t key_len, uintptr_t nonce,
                  size_t nonce_len, uintptr_t ct, size_t ct_len, uintptr_t aad,
                  size_t aad_len, uintptr_t dst, size_t dst_len) {
  LargeBurn burn;
  return rc(aes256gcm_open(in(key, key_len), in(nonce, nonce_len),
                           in(ct, ct_len), in(aad, aad_len), out(dst, dst_len)));
}

int chacha20poly1305Seal(uintptr_t key, size_t key_len, uintptr_t nonce,
                         size_t nonce_len, uintptr_t pt, size_t pt_len,
                         uintptr_t aad, size_t aad_len, uintptr_t dst,
                         size_t dst_len) {
  SmallBurn burn;
  return rc(chacha20poly1305_seal(in(key, key_len), in(nonce, nonce_len),
                                  in(pt, pt_len), {in(aad, aad_len)},
                                  out(dst, dst_len)));
}

int chacha20poly1305Open(uintptr_t key, size_t key_len, uintptr_t nonce,
                         size_t nonce_len, uintptr_t ct, size_t ct_len,
                         uintptr_t aad, size_t aad_len, uintptr_t dst,
                         size_t dst_len) {
  SmallBurn burn;
  return rc(chacha20poly1305_open(in(key, key_len), in(nonce, nonce_len),
                                  in(ct, ct_len), {in(aad, aad_len)},
                                  out(dst, dst_len)));
}

int hmacSha256(uintptr_t key, size_t key_len, uintptr_t msg, size_t msg_len,
               uintptr_t dst, size_t dst_len) {
  SmallBurn burn;
  return rc(hmac_sha256(in(key, key_len), in(msg, msg_len), out(dst, dst_len)));
}

int hmacSha256Verify(uintptr_t key, size_t key_len, uintptr_t msg,
                     size_t msg_len, uintptr_t tag, size_t tag_len) {
  SmallBurn burn;
  return rc(hmac_sha256_verify(in(key, key_len), in(msg, msg_len),
                               in(tag, tag_len)));
}

// An HMAC-SHA256 key whose padded-key hash states are computed once, for
// many messages under one key (hazmat createHmacSha256). Wiped by destroy(),
// by setKey() and on destruction (HmacSha256Key).
class HmacKeyHandle {
 public:
  void setKey(uintptr_t key, size_t key_len) {
    SmallBurn burn;
    key_ = HmacSha256Key(in(key, key_len));
  }
  int mac(uintptr_t msg, size_t msg_len, uintptr_t dst, size_t dst_len) const {
    SmallBurn burn;
    return rc(hmac_sha256(key_, in(msg, msg_len), out(dst, dst_len)));
  }
  int verify(uintptr_t msg, size_t msg_len, uintptr_t tag,
             size_t tag_len) const {
    SmallBurn burn;
    return rc(hmac_sha256_verify(key_, in(msg, msg_len), in(tag, tag_len)));
  }
  void destroy() { key_ = HmacSha256Key(); }

 private:
  HmacSha256Key key_;
};

int hkdfSha256(uintptr_t ikm, size_t ikm_len, uintptr_t salt, size_t salt_len,
               uintptr_t info, size_t info_len, uintptr_t dst, size_t dst_len) {
  SmallBurn burn;
  return rc(hkdf_sha256(in(ikm, ikm_len), in(salt, salt_len),
                        in(info, info_len), out(dst, dst_len)));
}

int wrapKey(uintptr_t kek, size_t kek_len, uintptr_t key, size_t key_len,
            uintptr_t ctx, size_t ctx_len, uintptr_t dst, size_t dst_len) {
  LargeBurn burn;
  if (kek_len != kKeyringKekBytes) return rc(Status(ErrorCode::kInvalidArgument));
  return rc(wrap_key(HmacSha256Key(in(kek, kek_len)), in(ctx, ctx_len),
                     in(key, key_len), out(dst, dst_len)));
}

int unwrapKey(uintptr_t kek, size_t kek_len, uintptr_t wrapped,
              size_t wrapped_len, uintptr_t ctx, size_t ctx_len, uintptr_t dst,
              size_t dst_len) {
  LargeBurn burn;
  if (kek_len != kKeyringKekBytes) return rc(Status(ErrorCode::kInvalidArgument));
  return rc(unwrap_key(HmacSha256Key(in(kek, kek_len)), in(ctx, ctx_len),
                       in(wrapped, wrapped_len), out(dst, dst_len)));
}

// The normalisation names, indexed by mode (blind_index.h).
val normalizationNames() {
  val names = val::array();
  for (std::string_view name : kNormalizationNames) {
    names.call<void>("push", std::string(name));
  }
  return names;
}

int randomBytes(uintptr_t dst, size_t dst_len) {
  SmallBurn burn;
  return rc(random_fill(out(dst, dst_len)));
}

// A keyring behind Embind. Before create() and after destroy() it holds
// none, and every method answers kLocked instead of touching the empty
// optional.
class KeyringHandle {
 public:
  int create(uintptr_t kek, size_t kek_len, std::string store,
             std::string kek_id, int suite) {
    LargeBurn burn;
    Result<Keyring> ring = Keyring::create(in(kek, kek_len), store, kek_id,
                                           static_cast<uint8_t>(suite));
    if (!ring.ok()) return rc(ring.status());
    ring_.emplace(std::move(ring).value());
    return 0;
  }

  int importEntry(uint32_t id, int kind, std::string scope, int status,
                  double created_at, uintptr_t wrapped, size_t wrapped_len) {
    LargeBurn burn;
    if (!ring_) return locked();
    return rc(ring_->import_entry(id, static_cast<KeyKind>(kind), scope,
                                  static_cast<KeyStatus>(status), created_at,
                                  in(wrapped, wrapped_len)));
  }

  // The new key id (a uint32, exact in a double) or -ErrorCode.
  double rotate(int kind, std::string scope, double created_at) {
    LargeBurn burn;
    if (!ring_) return locked();
    Result<uint32_t> id =
        ring_->rotate(static_cast<KeyKind>(kind), scope, created_at);
    return id.ok() ? static_cast<double>(id.value()) : rc(id.status());
  }

  int setStatus(uint32_t id, int status) {
    if (!ring_) return locked();
    return rc(ring_->set_status(id, static_cast<KeyStatus>(status)));
  }

  int promote(uint32_t id) {
    if (!ring_) return locked();
    return rc(ring_->promote(id));
  }

  int remove(uint32_t id) {
    if (!ring_) return locked();
    return rc(ring_->remove(id));
  }

  int rewrap(uintptr_t kek, size_t kek_len, std::string kek_id) {
    LargeBurn burn;
    if (!ring_) return locked();
    return rc(ring_->rewrap(in(kek, kek_len), kek_id));
  }

  int wrapSecret(uintptr_t ctx, size_t ctx_len, uintptr_t secret,
                 size_t secret_len, uintptr_t dst, size_t dst_len) const {
    LargeBurn burn;
    if (!ring_) return locked();
    return rc(ring_->wrap_secret(in(ctx, ctx_len), in(secret, secret_len),
                                 out(dst, dst_len)));
  }

  int unwrapSecret(uintptr_t ctx, size_t ctx_len, uintptr_t wrapped,
                   size_t wrapped_len, uintptr_t dst, size_t dst_len) const {
    LargeBurn burn;
    if (!ring_) return locked();
    return rc(ring_->unwrap_secret(in(ctx, ctx_len), in(wrapped, wrapped_len),
                                   out(dst, dst_len)));
  }

  int size() const {
    if (!ring_) return locked();
    return static_cast<int>(ring_->size());
  }

  // Entry `index` as an object, or -ErrorCode: kInvalidArgument for anything
  // but an integer in [0, size()). A double, so that 2^32 or 0.5 is not
  // first wrapped or truncated to a valid index by the int conversion.
  val entry(double index) const {
    if (!ring_) return val(locked());
    if (!(index >= 0 && index < static_cast<double>(ring_->size())) ||
        std::trunc(index) != index) {
      return val(rc(Status(ErrorCode::kInvalidArgument)));
    }
    const KeyEntryInfo& e = ring_->entry(static_cast<size_t>(index));
    val o = val::object();
    o.set("id", e.id);
    o.set("kind", static_cast<int>(e.kind));
    o.set("scope", e.scope);
    o.set("status", static_cast<int>(e.status));
    o.set("createdAt", e.created_at_ms);
    // A copy: the wrapped key is not secret, but no heap view may escape.
    o.set("wrapped", val::global("Uint8Array")
                         .new_(emscripten::typed_memory_view(
                             e.wrapped.size(), e.wrapped.data()))
                         .call<val>("slice"));
    return o;
  }

  // The scope arrives as UTF-8 bytes beside the other inputs: no Embind
  // string conversion on the hot path.
  int encrypt(uintptr_t scope, size_t scope_len, uintptr_t ctx,
              size_t ctx_len, uintptr_t pt, size_t pt_len, uintptr_t dst,
              size_t dst_len) const {
    LargeBurn burn;
    if (!ring_) return locked();
    const std::string_view scope_name(reinterpret_cast<const char*>(scope),
                                      scope_len);
    return rc(ring_->encrypt(scope_name, in(ctx, ctx_len), in(pt, pt_len),
                             out(dst, dst_len)));
  }

  int decrypt(uintptr_t rec, size_t rec_len, uintptr_t ctx, size_t ctx_len,
              uintptr_t dst, size_t dst_len) const {
    LargeBurn burn;
    if (!ring_) return locked();
    return rc(ring_->decrypt(in(rec, rec_len), in(ctx, ctx_len),
                             out(dst, dst_len)));
  }

  // Writes "<keyId>:<hex>" (ASCII) to dst and returns its length, or
  // -ErrorCode. Scope and field arrive as UTF-8 bytes beside the value: no
  // Embind string conversion on the hot path.
  int blindIndex(uintptr_t scope, size_t scope_len, uintptr_t field,
                 size_t field_len, uintptr_t value, size_t value_len, int mode,
                 unsigned bits, uint32_t key_id, uintptr_t dst,
                 size_t dst_len) const {
    SmallBurn burn;
    if (!ring_) return locked();
    Result<std::string> idx = ring_->blind_index(
        std::string_view(reinterpret_cast<const char*>(scope), scope_len),
        std::string_view(reinterpret_cast<const char*>(field), field_len),
        in(value, value_len), static_cast<Normalization>(mode), bits, key_id);
    if (!idx.ok()) return rc(idx.status());
    const std::string& text = idx.value();
    if (text.size() > dst_len) return rc(Status(ErrorCode::kInvalidArgument));
    std::memcpy(reinterpret_cast<char*>(dst), text.data(), text.size());
    return static_cast<int>(text.size());
  }

  void destroy() {
    if (ring_) ring_->destroy();
    ring_.reset();
  }

 private:
  static int locked() { return rc(Status(ErrorCode::kLocked)); }

  std::optional<Keyring> ring_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(enveil) {
  using emscripten::constant;
  using emscripten::function;
  constant("AES_GCM_KEY_BYTES", kAesGcmKeyBytes);
  constant("AES_GCM_NONCE_BYTES", kAesGcmNonceBytes);
  constant("AES_GCM_TAG_BYTES", kAesGcmTagBytes);
  constant("CHACHA20_POLY1305_KEY_BYTES", kChaChaPolyKeyBytes);
  constant("CHACHA20_POLY1305_NONCE_BYTES", kChaChaPolyNonceBytes);
  constant("CHACHA20_POLY1305_TAG_BYTES", kChaChaPolyTagBytes);
  constant("HMAC_SHA256_BYTES", kHmacSha256Bytes);
  constant("HMAC_SHA256_MIN_VERIFY_BYTES", kHmacSha256MinVerifyBytes);
  constant("HKDF_SHA256_MAX_BYTES", kHkdfSha256MaxOutputBytes);
  constant("RANDOM_MAX_BYTES", kRandomMaxBytes);
  constant("RECORD_OVERHEAD_BYTES", kRecordOverheadBytes);
  constant("RECORD_KEY_BYTES", kRecordKeyBytes);
  constant("SUITE_AES_256_GCM", kSuiteAes256GcmCommitted);
  constant("SUITE_CHACHA20_POLY1305", kSuiteChaCha20Poly1305Committed);
  constant("KEYRING_KEK_BYTES", kKeyringKekBytes);
  constant("KEYRING_WRAPPED_BYTES", kKeyringWrappedBytes);
  constant("WRAPPED_KEY_BYTES", kWrappedKeyBytes);
  constant("KEYRING_MAX_NAME_BYTES", kKeyringMaxNameBytes);
  constant("BLIND_INDEX_MIN_BITS", kBlindIndexMinBits);
  constant("BLIND_INDEX_MAX_BITS", kBlindIndexMaxBits);
  constant("BLIND_INDEX_MAX_TEXT_BYTES", kKeyringBlindIndexMaxTextBytes);
  function("normalizationNames", &normalizationNames);

  function("stackPointer", &stackPointer);
  constant("STACK_BURN_SMALL_BYTES", kStackBurnSmall);
  constant("STACK_BURN_LARGE_BYTES", kStackBurnLarge);
  function("aes256gcmSeal", &aes256gcmSeal);
  function("aes256gcmOpen", &aes256gcmOpen);
  function("chacha20poly1305Seal", &chacha20poly1305Seal);
  function("chacha20poly1305Open", &chacha20poly1305Open);
  function("hmacSha256", &hmacSha256);
  function("hmacSha256Verify", &hmacSha256Verify);
  function("hkdfSha256", &hkdfSha256);
  function("randomBytes", &randomBytes);
  function("wrapKey", &wrapKey);
  function("unwrapKey", &unwrapKey);

  emscripten::class_<HmacKeyHandle>("HmacKeyHandle")
      .constructor<>()
      .function("setKey", &HmacKeyHandle::setKey)
      .function("mac", &HmacKeyHandle::mac)
      .function("verify", &HmacKeyHandle::verify)
      .function("destroy", &HmacKeyHandle::destroy);

  emscripten::class_<KeyringHandle>("KeyringHandle")
      .constructor<>()
      .function("create", &KeyringHandle::create)
      .function("importEntry", &KeyringHandle::importEntry)
      .function("rotate", &KeyringHandle::rotate)
      .function("setStatus", &KeyringHandle::setStatus)
      .function("promote", &KeyringHandle::promote)
      .function("remove", &KeyringHandle::remove)
      .function("rewrap", &KeyringHandle::rewrap)
      .function("wrapSecret", &KeyringHandle::wrapSecret)
      .function("unwrapSecret", &KeyringHandle::unwrapSecret)
      .function("size", &KeyringHandle::size)
      .function("entry", &KeyringHandle::entry)
      .function("encrypt", &KeyringHandle::encrypt)
      .function("decrypt", &KeyringHandle::decrypt)
      .function("blindIndex", &KeyringHandle::blindIndex)
      .function("destroy", &KeyringHandle::destroy);
}

}  // namespace enveil
