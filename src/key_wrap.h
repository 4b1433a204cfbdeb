// Key wrapping: a 32-byte key sealed under a 32-byte KEK as a v1 record
// (record_format.h) with key id 0 (the KEK) and a caller context bound as
// AAD. Used for keyring entries, the store master key under a provider's or
// a recovery KEK, and by the secret-holding key providers.
#ifndef ENVEIL_KEY_WRAP_H_
#define ENVEIL_KEY_WRAP_H_

#include "bytes.h"
#include "hmac.h"
#include "record_format.h"
#include "status.h"

namespace enveil {

inline constexpr size_t kWrappedKeyBytes = kRecordKeyBytes + kRecordOverheadBytes;  // 102
inline constexpr uint32_t kKekKeyId = 0;

// Seals `key` (exactly 32 bytes) under `kek`; out must be 102 bytes.
// Errors: kLocked for a `kek` that is not valid(); kInvalidArgument for other
// sizes; kUnsupported without randomness.
Status wrap_key(const HmacSha256Key& kek, ByteView context, ByteView key,
                MutableByteView out) noexcept;

// Opens a wrapped key into `out` (32 bytes). Errors: kLocked for a `kek` that
// is not valid(); kInvalidArgument for wrong sizes; kKeyUnavailable when it does not verify under `kek` and
// `context` (wrong KEK, other context, or edited bytes); out is then wiped.
Status unwrap_key(const HmacSha256Key& kek, ByteView context,
                  ByteView wrapped, MutableByteView out) noexcept;

}  // namespace enveil

#endif  // ENVEIL_KEY_WRAP_H_
