#include "hkdf.h"

#include <algorithm>
#include <cstring>

#include "secret.h"

namespace enveil {

Status hkdf_sha256_extract(ByteView salt, ByteView ikm,
                           MutableByteView out) noexcept {
  if (out.size() != kHkdfSha256PrkBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  // HMAC pads a short key with zeros, so an empty salt already equals
  // HashLen zero bytes.
  HmacSha256Key(salt).mac({ikm}, out.data());
  return Status::Ok();
}

Status hkdf_sha256_expand(const HmacSha256Key& prk,
                          std::initializer_list<ByteView> info_parts,
                          MutableByteView out) noexcept {
  if (!prk.valid()) return Status(ErrorCode::kLocked);
  if (out.empty() || out.size() > kHkdfSha256MaxOutputBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  uint8_t block[kHmacSha256Bytes];  // T(i), the previous block
  size_t done = 0;
  for (uint8_t counter = 1; done < out.size(); ++counter) {
    // T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), with T(0) empty.
    HmacSha256 h(prk);
    if (counter > 1) h.update(ByteView(block));
    for (ByteView part : info_parts) h.update(part);
    h.update(ByteView(&counter, 1));
    h.finish(block);
    const size_t n = std::min(sizeof block, out.size() - done);
    std::memcpy(out.data() + done, block, n);
    done += n;
  }
  secure_wipe(block, sizeof block);
  return Status::Ok();
}

Status hkdf_sha256(ByteView ikm, ByteView salt, ByteView info,
                   MutableByteView out) noexcept {
  if (out.empty() || out.size() > kHkdfSha256MaxOutputBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  uint8_t prk[kHkdfSha256PrkBytes];
  ENVEIL_RETURN_IF_ERROR(hkdf_sha256_extract(salt, ikm, prk));
  HmacSha256Key key{ByteView(prk)};
  secure_wipe(prk, sizeof prk);
  return hkdf_sha256_expand(key, {info}, out);
}

}  // namespace enveil
