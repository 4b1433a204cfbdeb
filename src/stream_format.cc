#include "stream_format.h"

#include <cstring>

#include "aes_gcm.h"
#include "hkdf.h"
#include "hmac.h"
#include "random.h"
#include "secret.h"

namespace enveil {
namespace {

constexpr char kStreamInfoLabel[] = "enveil/v1/stream";
constexpr char kStreamDekLabel[] = "enveil/v1/stream-dek";
constexpr size_t kPayloadKeyBytes = kAesGcmKeyBytes;

ByteView label(const char* s, size_t size_with_nul) {
  return {reinterpret_cast<const uint8_t*>(s), size_with_nul - 1};
}

// HKDF output: payload key ‖ nonce prefix (the stream key) ‖ commitment.
struct DerivedKeys {
  uint8_t okm[kStreamKeyBytes + kStreamCommitmentBytes];
  ByteView stream_key() const { return ByteView(okm, kStreamKeyBytes); }
  ByteView commitment() const {
    return ByteView(okm + kStreamKeyBytes, kStreamCommitmentBytes);
  }
};

// `pre_commitment` is bytes 0..29+n of the header (a..b includes both ends).
void derive(ByteView data_key, ByteView pre_commitment, DerivedKeys& keys) {
  const HmacSha256Key prk(data_key);
  // Fixed, valid output length: cannot fail.
  (void)hkdf_sha256_expand(
      prk, {label(kStreamInfoLabel, sizeof kStreamInfoLabel), pre_commitment},
      keys.okm);
}

// "enveil/v1/stream-dek" ‖ lp(immutable) ‖ lp(key id), in `buf`.
constexpr size_t kWrapContextMaxBytes =
    sizeof kStreamDekLabel - 1 + 4 +
    stream_immutable_bytes(kStreamMaxContextBytes) + 4 + kStreamMaxKeyIdBytes;

struct WrapContext {
  uint8_t buf[kWrapContextMaxBytes];
  size_t size = 0;

  WrapContext(ByteView immutable, ByteView key_id) {
    append(label(kStreamDekLabel, sizeof kStreamDekLabel));
    append_lp(immutable);
    append_lp(key_id);
  }
  ByteView view() const { return ByteView(buf, size); }

 private:
  void append(ByteView b) {
    std::memcpy(buf + size, b.data(), b.size());
    size += b.size();
  }
  void append_lp(ByteView b) {
    store_be32(buf + size, static_cast<uint32_t>(b.size()));
    size += 4;
    append(b);
  }
};

bool key_id_char_ok(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Parses exactly one header: nothing may follow.
Result<StreamHeader> parse_exact(ByteView header) {
  Result<StreamHeader> h = stream_parse_header(header);
  if (h.ok() && h.value().size != header.size()) {
    return ErrorCode::kAuthFailed;
  }
  return h;
}

void make_nonce(ByteView stream_key, uint64_t index, bool is_final,
                uint8_t nonce[kAesGcmNonceBytes]) {
  std::memcpy(nonce, stream_key.data() + kPayloadKeyBytes,
              kStreamNoncePrefixBytes);
  store_be32(nonce + kStreamNoncePrefixBytes, static_cast<uint32_t>(index));
  nonce[kAesGcmNonceBytes - 1] = is_final ? 0x01 : 0x00;
}

// Unwraps the data key of a parsed header into `data_key` (32 bytes) and
// checks the commitment. kAuthFailed for either failure (data_key wiped).
Status unwrap_and_check(ByteView master_key, const StreamHeader& h,
                        MutableByteView data_key, DerivedKeys& keys) {
  const WrapContext context(h.immutable, h.key_id);
  if (!unwrap_key(HmacSha256Key(master_key), context.view(), h.wrapped_key,
                  data_key)
           .ok()) {
    return Status(ErrorCode::kAuthFailed);
  }
  derive(data_key, h.immutable.first(h.immutable.size() - kStreamCommitmentBytes),
         keys);
  if (!ct_equal(keys.commitment(), h.commitment)) {
    secure_wipe(data_key.data(), data_key.size());
    return Status(ErrorCode::kAuthFailed);
  }
  return Status::Ok();
}

// Writes the key section (key id and the data key wrapped under
// `master_key`) after the immutable part already in `header_out`.
Status write_key_section(ByteView master_key, ByteView key_id,
                         ByteView data_key, size_t immutable_bytes,
                         MutableByteView header_out) {
  const ByteView immutable(header_out.data(), immutable_bytes);
  uint8_t* p = header_out.data() + immutable_bytes;
  p[0] = static_cast<uint8_t>(key_id.size());
  std::memcpy(p + 1, key_id.data(), key_id.size());
  const WrapContext context(immutable, key_id);
  return wrap_key(HmacSha256Key(master_key), context.view(), data_key,
                  MutableByteView(p + 1 + key_id.size(), kWrappedKeyBytes));
}

Status check_chunk_args(ByteView stream_key, ByteView header,
                        StreamHeader& parsed) {
  if (stream_key.size() != kStreamKeyBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  Result<StreamHeader> h = parse_exact(header);
  if (!h.ok()) return Status(ErrorCode::kInvalidArgument);
  parsed = h.value();
  return Status::Ok();
}

}  // namespace

bool stream_key_id_valid(ByteView key_id) noexcept {
  if (key_id.size() < kStreamMinKeyIdBytes ||
      key_id.size() > kStreamMaxKeyIdBytes || key_id[0] == '.' ||
      key_id[0] == '-') {
    return false;
  }
  for (uint8_t c : key_id) {
    if (!key_id_char_ok(c)) return false;
  }
  return true;
}

Result<StreamHeader> stream_parse_header(ByteView bytes) noexcept {
  if (bytes.size() < kStreamContextOffset ||
      std::memcmp(bytes.data(), kStreamMagic, sizeof kStreamMagic) != 0 ||
      bytes[6] != kStreamVersion1 || bytes[7] != kStreamSuiteAes256GcmStream) {
    return ErrorCode::kAuthFailed;
  }
  StreamHeader h;
  h.chunk_bytes = load_be32(bytes.data() + kStreamChunkSizeOffset);
  const size_t context_bytes =
      (size_t{bytes[kStreamContextLengthOffset]} << 8) |
      bytes[kStreamContextLengthOffset + 1];
  if (h.chunk_bytes < kStreamMinChunkBytes ||
      h.chunk_bytes > kStreamMaxChunkBytes ||
      context_bytes > kStreamMaxContextBytes) {
    return ErrorCode::kAuthFailed;
  }
  const size_t immutable_bytes = stream_immutable_bytes(context_bytes);
  if (bytes.size() < immutable_bytes + 1) return ErrorCode::kAuthFailed;
  const size_t key_id_bytes = bytes[immutable_bytes];
  const size_t total = stream_header_bytes(context_bytes, key_id_bytes);
  if (bytes.size() < total) return ErrorCode::kAuthFailed;
  h.key_id = bytes.subspan(immutable_bytes + 1, key_id_bytes);
  if (!stream_key_id_valid(h.key_id)) return ErrorCode::kAuthFailed;
  h.immutable = bytes.first(immutable_bytes);
  h.file_id = bytes.subspan(kStreamFileIdOffset, kStreamFileIdBytes);
  h.context = bytes.subspan(kStreamContextOffset, context_bytes);
  h.commitment = bytes.subspan(kStreamContextOffset + context_bytes,
                               kStreamCommitmentBytes);
  h.wrapped_key =
      bytes.subspan(immutable_bytes + 1 + key_id_bytes, kWrappedKeyBytes);
  h.size = total;
  return h;
}

Status stream_seal_begin_with(ByteView master_key, ByteView key_id,
                              ByteView context, uint32_t chunk_bytes,
                              ByteView data_key, ByteView file_id,
                              MutableByteView header_out,
                              MutableByteView key_out) noexcept {
  if (master_key.size() != kStreamMasterKeyBytes ||
      data_key.size() != kStreamDataKeyBytes ||
      file_id.size() != kStreamFileIdBytes ||
      !stream_key_id_valid(key_id) ||
      context.size() > kStreamMaxContextBytes ||
      chunk_bytes < kStreamMinChunkBytes ||
      chunk_bytes > kStreamMaxChunkBytes ||
      header_out.size() != stream_header_bytes(context.size(), key_id.size()) ||
      key_out.size() != kStreamKeyBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  uint8_t* h = header_out.data();
  std::memcpy(h, kStreamMagic, sizeof kStreamMagic);
  h[6] = kStreamVersion1;
  h[7] = kStreamSuiteAes256GcmStream;
  store_be32(h + kStreamChunkSizeOffset, chunk_bytes);
  std::memcpy(h + kStreamFileIdOffset, file_id.data(), kStreamFileIdBytes);
  h[kStreamContextLengthOffset] = static_cast<uint8_t>(context.size() >> 8);
  h[kStreamContextLengthOffset + 1] = static_cast<uint8_t>(context.size());
  if (!context.empty()) {
    std::memcpy(h + kStreamContextOffset, context.data(), context.size());
  }
  const size_t pre_commitment = kStreamContextOffset + context.size();
  DerivedKeys keys;
  WipeOnExit<DerivedKeys> wipe(keys);
  derive(data_key, ByteView(h, pre_commitment), keys);
  std::memcpy(h + pre_commitment, keys.commitment().data(),
              kStreamCommitmentBytes);
  const Status wrapped =
      write_key_section(master_key, key_id, data_key,
                        stream_immutable_bytes(context.size()), header_out);
  if (!wrapped.ok()) {
    secure_wipe(header_out.data(), header_out.size());
    return wrapped;
  }
  std::memcpy(key_out.data(), keys.stream_key().data(), kStreamKeyBytes);
  return Status::Ok();
}

Status stream_seal_begin(ByteView master_key, ByteView key_id,
                         ByteView context, uint32_t chunk_bytes,
                         MutableByteView header_out,
                         MutableByteView key_out) noexcept {
  uint8_t data_key[kStreamDataKeyBytes];
  uint8_t file_id[kStreamFileIdBytes];
  WipeOnExit<uint8_t[kStreamDataKeyBytes]> wipe(data_key);
  ENVEIL_RETURN_IF_ERROR(random_fill(data_key));
  ENVEIL_RETURN_IF_ERROR(random_fill(file_id));
  return stream_seal_begin_with(master_key, key_id, context, chunk_bytes,
                                data_key, file_id, header_out, key_out);
}

namespace {

Status open_begin(ByteView master_key, ByteView key_id, ByteView header,
                  MutableByteView key_out) {
  if (master_key.size() != kStreamMasterKeyBytes ||
      !stream_key_id_valid(key_id) || key_out.size() != kStreamKeyBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  Result<StreamHeader> h = parse_exact(header);
  if (!h.ok()) return h.status();
  if (h.value().key_id.size() != key_id.size() ||
      std::memcmp(h.value().key_id.data(), key_id.data(), key_id.size()) != 0) {
    return Status(ErrorCode::kUnknownKey);
  }
  uint8_t data_key[kStreamDataKeyBytes];
  WipeOnExit<uint8_t[kStreamDataKeyBytes]> wipe_dek(data_key);
  DerivedKeys keys;
  WipeOnExit<DerivedKeys> wipe(keys);
  ENVEIL_RETURN_IF_ERROR(unwrap_and_check(master_key, h.value(), data_key, keys));
  std::memcpy(key_out.data(), keys.stream_key().data(), kStreamKeyBytes);
  return Status::Ok();
}

}  // namespace

Status stream_open_begin(ByteView master_key, ByteView key_id, ByteView header,
                         MutableByteView key_out) noexcept {
  const Status s = open_begin(master_key, key_id, header, key_out);
  if (!s.ok()) secure_wipe(key_out.data(), key_out.size());
  return s;
}

Status stream_rewrap_header(ByteView old_key, ByteView old_id,
                            ByteView new_key, ByteView new_id, ByteView header,
                            MutableByteView header_out) noexcept {
  if (old_key.size() != kStreamMasterKeyBytes ||
      new_key.size() != kStreamMasterKeyBytes ||
      !stream_key_id_valid(old_id) || !stream_key_id_valid(new_id)) {
    return Status(ErrorCode::kInvalidArgument);
  }
  Result<StreamHeader> h = parse_exact(header);
  if (!h.ok()) return h.status();
  if (header_out.size() !=
      stream_header_bytes(h.value().context.size(), new_id.size())) {
    return Status(ErrorCode::kInvalidArgument);
  }
  if (h.value().key_id.size() != old_id.size() ||
      std::memcmp(h.value().key_id.data(), old_id.data(), old_id.size()) != 0) {
    return Status(ErrorCode::kUnknownKey);
  }
  uint8_t data_key[kStreamDataKeyBytes];
  WipeOnExit<uint8_t[kStreamDataKeyBytes]> wipe_dek(data_key);
  DerivedKeys keys;
  WipeOnExit<DerivedKeys> wipe(keys);
  ENVEIL_RETURN_IF_ERROR(unwrap_and_check(old_key, h.value(), data_key, keys));
  const size_t immutable_bytes = h.value().immutable.size();
  // header and header_out may be the same bytes: the immutable part is
  // copied first, and the key section read only through data_key.
  std::memmove(header_out.data(), header.data(), immutable_bytes);
  const Status wrapped = write_key_section(new_key, new_id, data_key,
                                           immutable_bytes, header_out);
  if (!wrapped.ok()) secure_wipe(header_out.data(), header_out.size());
  return wrapped;
}

Status stream_seal_chunk(ByteView stream_key, ByteView header, uint64_t index,
                         bool is_final, ByteView plaintext,
                         MutableByteView out) noexcept {
  StreamHeader h;
  ENVEIL_RETURN_IF_ERROR(check_chunk_args(stream_key, header, h));
  const bool size_ok = is_final ? plaintext.size() < h.chunk_bytes
                                : plaintext.size() == h.chunk_bytes;
  if (!size_ok || index > kStreamMaxChunkIndex ||
      out.size() != plaintext.size() + kStreamTagBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  uint8_t nonce[kAesGcmNonceBytes];
  make_nonce(stream_key, index, is_final, nonce);
  return aes256gcm_seal(stream_key.first(kPayloadKeyBytes), nonce, plaintext,
                        h.immutable, out);
}

namespace {

Status open_chunk(ByteView stream_key, ByteView header, uint64_t index,
                  bool is_final, ByteView sealed, MutableByteView out) {
  StreamHeader h;
  ENVEIL_RETURN_IF_ERROR(check_chunk_args(stream_key, header, h));
  // Shorter than a tag: no chunk at all (a cut stream), whatever `out` is.
  if (sealed.size() < kStreamTagBytes) return Status(ErrorCode::kAuthFailed);
  if (out.size() != sealed.size() - kStreamTagBytes) {
    return Status(ErrorCode::kInvalidArgument);
  }
  const size_t body = out.size();
  const bool size_ok = is_final ? body < h.chunk_bytes : body == h.chunk_bytes;
  if (!size_ok || index > kStreamMaxChunkIndex) {
    return Status(ErrorCode::kAuthFailed);
  }
  uint8_t nonce[kAesGcmNonceBytes];
  make_nonce(stream_key, index, is_final, nonce);
  return aes256gcm_open(stream_key.first(kPayloadKeyBytes), nonce, sealed,
                        h.immutable, out);
}

}  // namespace

Status stream_open_chunk(ByteView stream_key, ByteView header, uint64_t index,
                         bool is_final, ByteView sealed,
                         MutableByteView out) noexcept {
  const Status opened =
      open_chunk(stream_key, header, index, is_final, sealed, out);
  // Whatever failed, the caller's buffer holds nothing afterwards.
  if (!opened.ok() && !out.empty()) secure_wipe(out.data(), out.size());
  return opened;
}

}  // namespace enveil
