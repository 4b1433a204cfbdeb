#include "record_format.h"

#include <cstring>

#include "aes_gcm.h"
#include "chacha20_poly1305.h"
#include "hkdf.h"
#include "random.h"
#include "secret.h"

namespace enveil {
namespace {

constexpr char kRecordInfoLabel[] = "enveil/v1/record";
constexpr size_t kPreSaltBytes = kRecordCommitmentOffset;  // bytes 0..21

// The 76 derived bytes: message key, nonce, commitment.
struct MessageKeys {
  uint8_t okm[kAesGcmKeyBytes + kAesGcmNonceBytes + kRecordCommitmentBytes];
  ByteView key() const { return ByteView(okm, kAesGcmKeyBytes); }
  ByteView nonce() const {
    return ByteView(okm + kAesGcmKeyBytes, kAesGcmNonceBytes);
  }
  ByteView commitment() const {
    return ByteView(okm + kAesGcmKeyBytes + kAesGcmNonceBytes,
                    kRecordCommitmentBytes);
  }
};

// The caller has checked key.valid().
void derive(const HmacSha256Key& key, const uint8_t* header,
            MessageKeys& keys) {
  const ByteView label(reinterpret_cast<const uint8_t*>(kRecordInfoLabel),
                       sizeof kRecordInfoLabel - 1);
  // A valid key and a fixed, valid output length: the call cannot fail.
  (void)hkdf_sha256_expand(key, {label, ByteView(header, kPreSaltBytes)},
                           keys.okm);
}

bool context_size_ok(ByteView context) {
  return context.size() <= UINT32_MAX;
}

}  // namespace

bool record_suite_known(uint8_t suite) noexcept {
  return suite == kSuiteAes256GcmCommitted ||
         suite == kSuiteChaCha20Poly1305Committed;
}

Status record_seal_with_salt(const HmacSha256Key& key, uint32_t key_id,
                             ByteView salt, ByteView context,
                             ByteView plaintext, MutableByteView out,
                             uint8_t suite) noexcept {
  if (!key.valid()) return Status(ErrorCode::kLocked);
  if (!record_suite_known(suite) || salt.size() != kRecordSaltBytes ||
      !context_size_ok(context) ||
      uint64_t{plaintext.size()} > kAesGcmMaxPlaintextBytes ||
      out.size() != plaintext.size() + kRecordOverheadBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  uint8_t header[kRecordHeaderBytes];
  header[0] = kRecordVersion1;
  header[1] = suite;
  store_be32(header + kRecordKeyIdOffset, key_id);
  std::memcpy(header + kRecordSaltOffset, salt.data(), kRecordSaltBytes);
  MessageKeys keys;
  WipeOnExit<MessageKeys> wipe(keys);
  derive(key, header, keys);
  std::memcpy(header + kRecordCommitmentOffset, keys.commitment().data(),
              kRecordCommitmentBytes);
  uint8_t context_len[4];
  store_be32(context_len, static_cast<uint32_t>(context.size()));
  // Seal first (out may be needed as scratch), then write the header.
  const auto aad = {ByteView(header), ByteView(context_len), context};
  ENVEIL_RETURN_IF_ERROR(
      suite == kSuiteChaCha20Poly1305Committed
          ? chacha20poly1305_seal(keys.key(), keys.nonce(), plaintext, aad,
                                  out.subspan(kRecordHeaderBytes))
          : aes256gcm_seal(keys.key(), keys.nonce(), plaintext, aad,
                           out.subspan(kRecordHeaderBytes)));
  std::memcpy(out.data(), header, kRecordHeaderBytes);
  return Status::Ok();
}

Status record_seal(const HmacSha256Key& key, uint32_t key_id,
                   ByteView context, ByteView plaintext, MutableByteView out,
                   uint8_t suite) noexcept {
  if (!key.valid()) return Status(ErrorCode::kLocked);
  uint8_t salt[kRecordSaltBytes];
  // Straight from the system for every record, never from state kept in
  // memory: a cloned or snapshot-restored instance would repeat such state,
  // and a repeated salt under one key repeats the GCM key and nonce.
  ENVEIL_RETURN_IF_ERROR(random_fill(salt));
  return record_seal_with_salt(key, key_id, salt, context, plaintext, out,
                               suite);
}

Result<uint32_t> record_key_id(ByteView record) noexcept {
  if (record.size() < kRecordOverheadBytes ||
      record[0] != kRecordVersion1 || !record_suite_known(record[1])) {
    return ErrorCode::kAuthFailed;
  }
  return load_be32(record.data() + kRecordKeyIdOffset);
}

Status record_open(const HmacSha256Key& key, ByteView record,
                   ByteView context, MutableByteView out) noexcept {
  if (!key.valid()) return Status(ErrorCode::kLocked);
  if (!record_key_id(record).ok()) return Status(ErrorCode::kAuthFailed);
  if (out.size() != record.size() - kRecordOverheadBytes ||
      !context_size_ok(context)) {
    return Status(ErrorCode::kInvalidArgument);
  }
  MessageKeys keys;
  WipeOnExit<MessageKeys> wipe(keys);
  derive(key, record.data(), keys);
  const bool committed = ct_equal(
      keys.commitment(),
      record.subspan(kRecordCommitmentOffset, kRecordCommitmentBytes));
  uint8_t context_len[4];
  store_be32(context_len, static_cast<uint32_t>(context.size()));
  // GCM runs whatever the commitment said, so a bad commitment and a bad tag
  // cost the same and answer the same.
  const auto aad = {record.first(kRecordHeaderBytes), ByteView(context_len),
                    context};
  const Status opened =
      record[1] == kSuiteChaCha20Poly1305Committed
          ? chacha20poly1305_open(keys.key(), keys.nonce(),
                                  record.subspan(kRecordHeaderBytes), aad, out)
          : aes256gcm_open(keys.key(), keys.nonce(),
                           record.subspan(kRecordHeaderBytes), aad, out);
  if (!committed || !opened.ok()) {
    if (opened.ok()) secure_wipe(out.data(), out.size());
    return Status(ErrorCode::kAuthFailed);
  }
  return Status::Ok();
}

}  // namespace enveil
