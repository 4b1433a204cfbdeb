#include "blind_index.h"

#include <cstring>

#include "unicode_case.h"

namespace enveil {
namespace {

constexpr char kBlindIndexLabel[] = "enveil/v1/bidx";
constexpr uint32_t kInvalid = 0xFFFFFFFF;

// Decodes one UTF-8 scalar value at value[*pos], advancing *pos; kInvalid on
// a malformed sequence.
uint32_t decode_utf8(ByteView value, size_t* pos) {
  const size_t rest = value.size() - *pos;
  const uint8_t* p = value.data() + *pos;
  uint32_t cp;
  size_t len;
  uint32_t min;
  if (p[0] < 0x80) {
    *pos += 1;
    return p[0];
  } else if ((p[0] & 0xE0) == 0xC0) {
    cp = p[0] & 0x1F, len = 2, min = 0x80;
  } else if ((p[0] & 0xF0) == 0xE0) {
    cp = p[0] & 0x0F, len = 3, min = 0x800;
  } else if ((p[0] & 0xF8) == 0xF0) {
    cp = p[0] & 0x07, len = 4, min = 0x10000;
  } else {
    return kInvalid;
  }
  if (rest < len) return kInvalid;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return kInvalid;
  }
  *pos += len;
  return cp;
}

size_t encode_utf8(uint32_t cp, uint8_t* out) {
  if (cp < 0x80) {
    out[0] = static_cast<uint8_t>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    out[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
    out[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
  out[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
  return 4;
}

// Unicode White_Space, plus U+FEFF as JavaScript's trim() has it.
bool is_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 ||
         cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000 || cp == 0xFEFF;
}

Result<SecretBuffer> lowercase(ByteView value, bool trim) {
  // Simple case mapping never lengthens a UTF-8 sequence by more than one
  // byte per code point (e.g. U+023A, 2 bytes → U+2C65, 3 bytes), so twice
  // the input is always enough.
  SecretBuffer scratch(value.size() * 2);
  size_t written = 0;
  size_t last_non_space = 0;  // `written` just after the last non-space
  bool seen_non_space = false;
  for (size_t pos = 0; pos < value.size();) {
    const uint32_t cp = decode_utf8(value, &pos);
    if (cp == kInvalid) return ErrorCode::kInvalidArgument;
    if (trim && is_space(cp)) {
      if (!seen_non_space) continue;  // leading space
      written += encode_utf8(cp, scratch.data() + written);
      continue;
    }
    seen_non_space = true;
    const uint32_t lower = unicode_simple_lower(cp);
    if (cp < 0x80) {
      // ASCII stays one byte: no branch on the (secret) mapped value.
      scratch.data()[written++] = static_cast<uint8_t>(lower);
    } else {
      written += encode_utf8(lower, scratch.data() + written);
    }
    last_non_space = written;
  }
  const size_t size = trim ? last_non_space : written;
  return SecretBuffer::copy_of(ByteView(scratch.data(), size));
}

}  // namespace

Result<SecretBuffer> normalize_value(ByteView value, Normalization mode) {
  switch (mode) {
    case Normalization::kNone:
      return SecretBuffer::copy_of(value);
    case Normalization::kLowercase:
      return lowercase(value, /*trim=*/false);
    case Normalization::kTrimLowercase:
      return lowercase(value, /*trim=*/true);
    case Normalization::kDigits: {
      // ASCII bytes never occur inside a multi-byte UTF-8 sequence, so a
      // byte filter is exact for UTF-8 and for any other ASCII superset.
      SecretBuffer scratch(value.size());
      size_t n = 0;
      for (uint8_t b : value) {
        if (b >= '0' && b <= '9') scratch.data()[n++] = b;
      }
      return SecretBuffer::copy_of(ByteView(scratch.data(), n));
    }
  }
  return ErrorCode::kInvalidArgument;
}

Result<std::string> blind_index_hex(const HmacSha256Key& index_key,
                                    ByteView value, Normalization mode,
                                    unsigned bits) {
  if (!index_key.valid()) return ErrorCode::kLocked;
  if (bits < kBlindIndexMinBits || bits > kBlindIndexMaxBits) {
    return ErrorCode::kInvalidArgument;
  }
  Result<SecretBuffer> normalized = normalize_value(value, mode);
  if (!normalized.ok()) return normalized.status();
  const ByteView label(reinterpret_cast<const uint8_t*>(kBlindIndexLabel),
                       sizeof kBlindIndexLabel - 1);
  uint8_t mac[kHmacSha256Bytes];
  index_key.mac({label, normalized.value().view()}, mac);
  const unsigned digits = (bits + 3) / 4;
  std::string hex(digits, '0');
  for (unsigned i = 0; i < digits; ++i) {
    unsigned nibble = (mac[i / 2] >> (i % 2 ? 0 : 4)) & 0x0F;
    // The last digit may hold fewer than 4 index bits: keep the high ones.
    const unsigned bits_here = bits - 4 * i;
    if (bits_here < 4) nibble &= (0x0F << (4 - bits_here)) & 0x0F;
    // '0'..'9' or 'a'..'f' without a table lookup or a branch on the MAC.
    hex[i] = static_cast<char>('0' + nibble + (((9u - nibble) >> 8) & 39u));
  }
  secure_wipe(mac, sizeof mac);
  return hex;
}

}  // namespace enveil
