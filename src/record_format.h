// Record format v1 (DESIGN.md §3): the envelope every field, token and wrapped
// key is stored in. A byte range a..b includes both ends.
//
//   0      version      0x01
//   1      suite        0x01 = AES-256-GCM, 0x02 = ChaCha20-Poly1305; both
//                       with a per-message HKDF key and nonce and a commitment
//   2..5   key id       uint32 big-endian
//   6..21  salt         16 random bytes
//   22..53 commitment   32 bytes
//   54..   ciphertext ‖ 16-byte tag
//
// HKDF-Expand-SHA256(PRK = key, info = "enveil/v1/record" ‖ bytes 0..21,
// L = 76) gives the message key (32), nonce (12) and commitment (32). The key
// is uniformly random, so Extract is skipped (RFC 5869 §3.3) and the key's
// HMAC pads are computed once (HmacSha256Key), not once per record.
// AAD = bytes 0..53 ‖ uint32be(context length) ‖ context.
//
// Opening checks the commitment and the tag, and both checks always run, so
// every failure past parsing is one kAuthFailed that takes the same path.
#ifndef ENVEIL_RECORD_FORMAT_H_
#define ENVEIL_RECORD_FORMAT_H_

#include <cstdint>

#include "bytes.h"
#include "hmac.h"
#include "status.h"

namespace enveil {

inline constexpr uint8_t kRecordVersion1 = 0x01;
inline constexpr uint8_t kSuiteAes256GcmCommitted = 0x01;
// The same derivation and layout with ChaCha20-Poly1305 (RFC 8439) as the
// AEAD: several times faster than constant-time AES under WASM.
inline constexpr uint8_t kSuiteChaCha20Poly1305Committed = 0x02;
inline constexpr size_t kRecordKeyIdOffset = 2;
inline constexpr size_t kRecordSaltOffset = 6;
inline constexpr size_t kRecordSaltBytes = 16;
inline constexpr size_t kRecordCommitmentOffset = 22;
inline constexpr size_t kRecordCommitmentBytes = 32;
inline constexpr size_t kRecordHeaderBytes = 54;
inline constexpr size_t kRecordTagBytes = 16;
inline constexpr size_t kRecordOverheadBytes =
    kRecordHeaderBytes + kRecordTagBytes;  // 70
// Keys are 32 random bytes: data keys, index keys and KEKs alike.
inline constexpr size_t kRecordKeyBytes = 32;

// Seals `plaintext` under `key` (a record key's precomputed HMAC pads) with a
// fresh random salt, drawn from the system (random_fill) for each record. `out` must be exactly plaintext.size() + 70 bytes.
// Errors: kLocked for a `key` that is not valid() (default-constructed or
// moved from: nothing is written); kInvalidArgument for a wrong out size or
// oversized input; kUnsupported when no random source is available.
// `suite` is kSuiteAes256GcmCommitted (the default) or
// kSuiteChaCha20Poly1305Committed; any other value is kInvalidArgument.
Status record_seal(const HmacSha256Key& key, uint32_t key_id,
                   ByteView context, ByteView plaintext, MutableByteView out,
                   uint8_t suite = kSuiteAes256GcmCommitted) noexcept;

// HAZARD: as record_seal with the salt chosen by the caller. A salt repeated
// under one key repeats the GCM key and nonce. For known-answer tests only.
Status record_seal_with_salt(const HmacSha256Key& key, uint32_t key_id,
                             ByteView salt, ByteView context,
                             ByteView plaintext, MutableByteView out,
                             uint8_t suite = kSuiteAes256GcmCommitted) noexcept;

// Whether `suite` names a suite this build seals and opens.
bool record_suite_known(uint8_t suite) noexcept;

// Strictly parses the fixed header and returns the key id. Errors:
// kAuthFailed for a record shorter than 70 bytes or an unknown version or
// suite (no distinction is made between them).
Result<uint32_t> record_key_id(ByteView record) noexcept;

// Opens a record into `out` (exactly record.size() - 70 bytes). The caller
// has looked the key up from record_key_id(). Errors: kLocked for a `key`
// that is not valid() (out untouched); kInvalidArgument for a wrong out size;
// kAuthFailed for anything that does not verify (out wiped).
Status record_open(const HmacSha256Key& key, ByteView record,
                   ByteView context, MutableByteView out) noexcept;

}  // namespace enveil

#endif  // ENVEIL_RECORD_FORMAT_H_
