// HKDF-SHA256 (RFC 5869), built on HmacSha256Key so that Expand can reuse a
// PRK's precomputed pads (the record format expands straight from a data key,
// RFC 5869 §3.3).
#ifndef ENVEIL_HKDF_H_
#define ENVEIL_HKDF_H_

#include <initializer_list>

#include "bytes.h"
#include "hmac.h"
#include "status.h"

namespace enveil {

inline constexpr size_t kHkdfSha256PrkBytes = 32;
inline constexpr size_t kHkdfSha256MaxOutputBytes = 255 * 32;

// PRK = HMAC-SHA256(salt, ikm); an empty salt means 32 zero bytes (the same
// HMAC key). out must be exactly 32 bytes.
Status hkdf_sha256_extract(ByteView salt, ByteView ikm,
                           MutableByteView out) noexcept;

// OKM = T(1) ‖ T(2) ‖ … truncated to out.size(), with info the concatenation
// of `info_parts`. Errors: kLocked for a `prk` that is not valid()
// (default-constructed, moved from); kInvalidArgument when out is empty or
// longer than 255 * 32 bytes.
Status hkdf_sha256_expand(const HmacSha256Key& prk,
                          std::initializer_list<ByteView> info_parts,
                          MutableByteView out) noexcept;

// Extract then Expand. Same errors as hkdf_sha256_expand.
Status hkdf_sha256(ByteView ikm, ByteView salt, ByteView info,
                   MutableByteView out) noexcept;

}  // namespace enveil

#endif  // ENVEIL_HKDF_H_
