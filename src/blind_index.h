// Blind indexes: equality search over encrypted fields (DESIGN.md §4).
//
//   value → normalize → HMAC-SHA256(index key, "enveil/v1/bidx" ‖ value)
//         → first `bits` bits → lowercase hex of ceil(bits / 4) digits
//
// Fewer bits leak less about equal values across records and cost false
// positives, which queries remove by decrypting candidates. A rule of thumb
// (CipherSweet's planner): for N expected records, choose bits so that
// N / 2^bits, the expected coincidences per value, stays between 2 and √N.
#ifndef ENVEIL_BLIND_INDEX_H_
#define ENVEIL_BLIND_INDEX_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "bytes.h"
#include "hmac.h"
#include "secret.h"
#include "status.h"

namespace enveil {

enum class Normalization : uint8_t {
  kNone = 0,          // bytes as given
  kLowercase = 1,     // Unicode simple lowercase (unicode_case.h)
  kTrimLowercase = 2, // strip leading/trailing Unicode White_Space, lowercase
  kDigits = 3,        // keep ASCII 0-9 only ("+1 (555) 010-9999" → 15550109999)
};

// The name of each mode in the JS API and in store declarations, indexed by
// its value: the JS layer reads this list from the module.
inline constexpr std::array<std::string_view, 4> kNormalizationNames = {
    "none", "lowercase", "trim-lowercase", "digits"};
static_assert(kNormalizationNames.size() ==
                  static_cast<size_t>(Normalization::kDigits) + 1,
              "one name per Normalization value");

inline constexpr unsigned kBlindIndexMinBits = 8;
inline constexpr unsigned kBlindIndexMaxBits = 256;

// Applies `mode` to `value`. The lowercase modes require valid UTF-8 (no
// overlong forms, surrogates or code points past U+10FFFF). Errors:
// kInvalidArgument for invalid UTF-8 or an unknown mode.
Result<SecretBuffer> normalize_value(ByteView value, Normalization mode);

// The blind index of `value` as hex. Errors: kLocked for an `index_key` that
// is not valid(); kInvalidArgument for bits outside [8, 256], or as
// normalize_value().
Result<std::string> blind_index_hex(const HmacSha256Key& index_key,
                                    ByteView value, Normalization mode,
                                    unsigned bits);

}  // namespace enveil

#endif  // ENVEIL_BLIND_INDEX_H_
