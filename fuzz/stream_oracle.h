// What fuzz_stream_open checks: each call of the stream API against the
// model (stream_model.h) and against what the documentation promises, on raw
// bytes and on a stream sealed from the structured input, re-wrapped and
// mutated (stream_mutations.h). Every check is FUZZ_CHECK; the invariants are
// listed in fuzz_stream_open.cc.
#ifndef ENVEIL_FUZZ_STREAM_ORACLE_H_
#define ENVEIL_FUZZ_STREAM_ORACLE_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "aes_gcm.h"
#include "fuzz_common.h"
#include "hkdf.h"
#include "hmac.h"
#include "key_wrap.h"
#include "record_format.h"
#include "stream_format.h"
#include "stream_model.h"
#include "stream_mutations.h"

namespace enveil_fuzz {

// The oracle speaks the core's terms; only fuzz_stream_open.cc includes it.
using namespace enveil;

static_assert(sizeof kStreamFixedKey == kStreamKeyBytes);
static_assert(kStreamKeyBytes == 39 && kWrappedKeyBytes == model::kWrappedKeyBytes &&
              kStreamTagBytes == model::kTagBytes);

// Outputs are filled with 0xA5 before each call. A call refused before it
// decrypts anything may leave the output as it was, or wipe it.
inline bool untouched_or_wiped(ByteView out) {
  bool untouched = true;
  for (uint8_t x : out) untouched = untouched && x == 0xA5;
  return untouched || all_zero(out);
}

inline bool same_view(ByteView v, ByteView base, size_t offset, size_t size) {
  return v.data() == base.data() + offset && v.size() == size;
}

// The HMAC key of kStreamMaster, kStreamOtherMaster or kStreamMaster2.
inline const HmacSha256Key& master_hmac_key(const uint8_t (&key)[32]) {
  if (&key == &kStreamMaster) return fixed_hmac_key<kStreamMaster>();
  if (&key == &kStreamOtherMaster) return fixed_hmac_key<kStreamOtherMaster>();
  FUZZ_CHECK(&key == &kStreamMaster2);
  return fixed_hmac_key<kStreamMaster2>();
}

// ---- stream_parse_header ------------------------------------------------------

// stream_parse_header() against the model, on `b` and around its size.
inline model::Layout check_parse(ByteView b) {
  const model::Layout m = model::parse(b);
  // The key id the bytes would carry, whatever else is wrong: the validity
  // check agrees with the model.
  if (const std::optional<ByteView> id = model::claimed_key_id(b)) {
    FUZZ_CHECK(stream_key_id_valid(*id) == model::key_id_valid(*id));
  }
  const Result<StreamHeader> h = stream_parse_header(b);
  FUZZ_CHECK(h.ok() == m.ok);
  if (!h.ok()) {
    FUZZ_CHECK(h.status().code() == ErrorCode::kAuthFailed);
    return m;
  }
  const StreamHeader& v = h.value();
  FUZZ_CHECK(v.size == m.total &&
             v.size == stream_header_bytes(m.context, m.key_id));
  FUZZ_CHECK(v.chunk_bytes == m.chunk);
  FUZZ_CHECK(same_view(v.immutable, b, 0, m.immutable));
  FUZZ_CHECK(same_view(v.file_id, b, model::kFileIdOffset, model::kFileIdBytes));
  FUZZ_CHECK(same_view(v.context, b, model::kContextOffset, m.context));
  FUZZ_CHECK(same_view(v.commitment, b, m.commitment_offset(), model::kCommitmentBytes));
  FUZZ_CHECK(same_view(v.key_id, b, m.key_id_offset(), m.key_id));
  FUZZ_CHECK(same_view(v.wrapped_key, b, m.wrapped_key_offset(), model::kWrappedKeyBytes));
  FUZZ_CHECK(stream_key_id_valid(v.key_id));
  // One byte fewer is never a header; the header alone parses the same.
  FUZZ_CHECK(stream_parse_header(b.first(m.total - 1)).status().code() ==
             ErrorCode::kAuthFailed);
  if (m.total < b.size()) {
    const Result<StreamHeader> alone = stream_parse_header(b.first(m.total));
    FUZZ_CHECK(alone.ok() && alone.value().size == m.total &&
               alone.value().chunk_bytes == m.chunk);
  }
  return m;
}

// ---- stream_open_begin ------------------------------------------------------

// `valid` for check_begin(): the one header that opens under (master, id);
// empty: none does; kMayOpen: unknown (raw bytes), any well-formed header
// naming `id` may open or fail with kAuthFailed.
inline const std::optional<ByteView> kMayOpen = std::nullopt;
inline const std::optional<ByteView> kNoneOpens = ByteView();

// The documented outcome of stream_open_begin(master, id, header). Returns
// the status; `key` is the stream key on success, zeros otherwise.
inline Status check_begin(ByteView master, ByteView id, ByteView header,
                          std::optional<ByteView> valid, Bytes& key) {
  key.assign(kStreamKeyBytes, 0xA5);
  const Status s = stream_open_begin(master, id, header, key);
  const model::Layout m = model::parse(header);
  if (!model::exact(header)) {
    FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
  } else if (!equal(model::key_id(header, m), id)) {
    FUZZ_CHECK(s.code() == ErrorCode::kUnknownKey);
  } else if (!valid.has_value()) {
    FUZZ_CHECK(s.ok() || s.code() == ErrorCode::kAuthFailed);
  } else if (!valid->empty() && equal(header, *valid)) {
    FUZZ_CHECK(s.ok());
  } else {
    FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
  }
  if (!s.ok()) FUZZ_CHECK(all_zero(key));
  return s;
}

// A raw header opened under the fixed master key: it must be exactly what
// sealing gives with its own data key, file id and wrap salt.
inline void check_authentic(ByteView header, const model::Layout& m, ByteView key) {
  const ByteView immutable = header.first(m.immutable);
  const ByteView id = model::key_id(header, m);
  const ByteView wrapped = model::wrapped_key(header, m);
  const Bytes context = model::wrap_context(immutable, id);
  uint8_t dek[32];
  FUZZ_CHECK(unwrap_key(master_hmac_key(kStreamMaster), bv(context), wrapped, dek).ok());
  Bytes rebuilt(header.size()), key2(kStreamKeyBytes);
  FUZZ_CHECK(stream_seal_begin_with(kStreamMaster, id,
                                    header.subspan(model::kContextOffset, m.context),
                                    m.chunk, dek,
                                    header.subspan(model::kFileIdOffset, model::kFileIdBytes),
                                    rebuilt, key2)
                 .ok());
  FUZZ_CHECK(equal(ByteView(rebuilt).first(m.wrapped_key_offset()),
                   header.first(m.wrapped_key_offset())));
  FUZZ_CHECK(equal(key2, key));
  Bytes rewrapped(model::kWrappedKeyBytes);
  FUZZ_CHECK(record_seal_with_salt(master_hmac_key(kStreamMaster), kKekKeyId,
                                   wrapped.subspan(kRecordSaltOffset, 16),
                                   bv(context), dek, rewrapped, wrapped[1])
                 .ok());
  FUZZ_CHECK(equal(rewrapped, wrapped));
  // Another key under the same id, and the right key under another id.
  Bytes other;
  FUZZ_CHECK(check_begin(kStreamOtherMaster, id, header, kNoneOpens, other).code() ==
             ErrorCode::kAuthFailed);
  FUZZ_CHECK(check_begin(kStreamMaster, bv(kStreamKeyId2), header, kNoneOpens, other).code() ==
             ErrorCode::kUnknownKey);
}

// ---- raw bytes -----------------------------------------------------------------

// stream_open_chunk() on raw bytes. `real`: `key` is the stream key `header`
// opened to (a chunk may then be genuine); otherwise no chunk may open.
inline void check_raw_chunk(ByteView key, bool real, ByteView header, uint64_t index,
                            bool is_final, ByteView sealed) {
  constexpr size_t kTag = model::kTagBytes;
  const model::Layout m = model::parse(header);
  const bool exact = model::exact(header);
  Bytes out(sealed.size() >= kTag ? sealed.size() - kTag : 0, 0xA5);
  const Status s = stream_open_chunk(key, header, index, is_final, sealed, out);
  if (!exact) {
    FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument);
    FUZZ_CHECK(untouched_or_wiped(out));
    return;
  }
  // Impossible sizes: no chunk at all, or not what its position allows.
  const bool size_ok = sealed.size() >= kTag && index < model::kPastMaxIndex &&
                       (is_final ? out.size() < m.chunk : out.size() == m.chunk);
  if (!real || !size_ok) FUZZ_CHECK(!s.ok());
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
    FUZZ_CHECK(all_zero(out));  // no unauthenticated plaintext released
  } else {
    // It opened: it is the chunk that sealing its plaintext there gives...
    Bytes again(sealed.size());
    FUZZ_CHECK(stream_seal_chunk(key, header, index, is_final, out, again).ok());
    FUZZ_CHECK(equal(again, sealed));
    // ...and only there.
    Bytes other(out.size(), 0xA5);
    FUZZ_CHECK(stream_open_chunk(key, header, index + 1, is_final, sealed, other)
                   .code() == ErrorCode::kAuthFailed);
    FUZZ_CHECK(stream_open_chunk(key, header, index + model::kPastMaxIndex, is_final,
                                 sealed, other)
                   .code() == ErrorCode::kAuthFailed);
    FUZZ_CHECK(all_zero(other));
  }
  // Wrong sizes of everything else.
  if (sealed.size() >= kTag) {
    Bytes wrong(out.size() + 1, 0xA5);
    FUZZ_CHECK(stream_open_chunk(key, header, index, is_final, sealed, wrong)
                   .code() == ErrorCode::kInvalidArgument);
    FUZZ_CHECK(untouched_or_wiped(wrong));
  } else {
    Bytes any(kTag - sealed.size(), 0xA5);
    FUZZ_CHECK(stream_open_chunk(key, header, index, is_final, sealed, any)
                   .code() == ErrorCode::kAuthFailed);
    FUZZ_CHECK(untouched_or_wiped(any));
  }
  FUZZ_CHECK(stream_open_chunk(key.first(kStreamKeyBytes - 1), header, index,
                               is_final, sealed, out)
                 .code() == ErrorCode::kInvalidArgument);
}

// stream_open_begin() on a raw header. `key` is the stream key it opened to
// (`real`), or the fixed one no header derives.
inline void check_raw_header(ByteView header, Bytes& key, bool& real) {
  const model::Layout m = model::parse(header);
  const Status s = check_begin(kStreamMaster, bv(kStreamKeyId), header, kMayOpen, key);
  real = s.ok();
  if (real) {
    check_authentic(header, m, key);
  } else {
    key.assign(kStreamFixedKey, kStreamFixedKey + kStreamKeyBytes);
  }
  // Argument errors come first, whatever the header.
  Bytes k(kStreamKeyBytes);
  FUZZ_CHECK(stream_open_begin(ByteView(kStreamMaster).first(31), bv(kStreamKeyId),
                               header, k)
                 .code() == ErrorCode::kInvalidArgument);
  FUZZ_CHECK(stream_open_begin(kStreamMaster, bv("-id"), header, k).code() ==
             ErrorCode::kInvalidArgument);
  FUZZ_CHECK(stream_open_begin(kStreamMaster, bv(kStreamKeyId), header,
                               MutableByteView(k).first(kStreamKeyBytes - 1))
                 .code() == ErrorCode::kInvalidArgument);
}

// ---- a sealed stream -------------------------------------------------------------

// The stream sealed from the structured input, and its re-wrapped header.
struct Original {
  Bytes header;     // under kStreamMaster, id
  Bytes rewrapped;  // under kStreamMaster2, new_id
  ByteView id, new_id;
  ByteView context;
  size_t immutable = 0;
  uint32_t chunk = 0;
  Bytes key;  // the stream key
  std::vector<model::Chunk> chunks;
  ByteView plaintext;
  std::vector<ByteView> parts;  // the plaintext of each chunk
  Bytes file;                   // header ‖ chunks
};

// Opens `chunks` one by one under `header` with the original stream key: each
// call succeeds exactly when the chunk is the original one at its index with
// its final flag and the header carries the original immutable part. Returns
// whether every chunk opened (and there were as many as in the original).
inline bool open_chunks(const Original& o, ByteView header,
                        const std::vector<model::Chunk>& chunks) {
  constexpr size_t kTag = model::kTagBytes;
  const model::Layout m = model::parse(header);
  const bool exact = model::exact(header);
  const bool bound = exact && m.immutable == o.immutable &&
                     equal(header.first(m.immutable),
                           ByteView(o.header).first(o.immutable));
  bool all = chunks.size() == o.chunks.size();
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ByteView sealed = chunks[i].data;
    const bool is_final = (i + 1 == chunks.size()) != chunks[i].flip_final;
    Bytes out(sealed.size() >= kTag ? sealed.size() - kTag : 0, 0xA5);
    const Status s = stream_open_chunk(o.key, header, i, is_final, sealed, out);
    if (!exact) {
      FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument);
      FUZZ_CHECK(untouched_or_wiped(out));
      return false;
    }
    const bool genuine = bound && i < o.chunks.size() &&
                         equal(sealed, o.chunks[i].data) &&
                         is_final == (i + 1 == o.chunks.size());
    FUZZ_CHECK(s.ok() == genuine);
    if (s.ok()) {
      FUZZ_CHECK(equal(out, o.parts[i]));
    } else {
      FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
      FUZZ_CHECK(all_zero(out));
      all = false;
    }
  }
  return all && exact;
}

// Opens `file` as a reader does (parse, begin, chunks of C + 16 until the
// first short one, stopping at the first failure) under (master, id), where
// `valid` is the header that opens under them.
inline bool open_file(const Original& o, ByteView file, const uint8_t (&master)[32],
                      ByteView id, ByteView valid) {
  constexpr size_t kTag = model::kTagBytes;
  const model::Layout m = check_parse(file);
  if (!m.ok) return false;
  const ByteView header = file.first(m.total);
  Bytes key;
  if (!check_begin(master, id, header, valid, key).ok()) return false;
  FUZZ_CHECK(equal(key, o.key));
  FUZZ_CHECK(m.chunk == o.chunk);
  model::FileChunks cut(file, m);
  Bytes plaintext;
  for (uint64_t i = 0;; ++i) {
    FUZZ_CHECK(i < model::kMaxChunks);
    bool is_final;
    const ByteView sealed = cut.next(is_final);
    Bytes out(sealed.size() >= kTag ? sealed.size() - kTag : 0, 0xA5);
    const Status s = stream_open_chunk(key, header, i, is_final, sealed, out);
    const bool genuine = i < o.chunks.size() && equal(sealed, o.chunks[i].data);
    FUZZ_CHECK(s.ok() == genuine);
    if (!s.ok()) {
      FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
      FUZZ_CHECK(all_zero(out));
      return false;
    }
    FUZZ_CHECK(equal(out, o.parts[i]));
    plaintext.insert(plaintext.end(), out.begin(), out.end());
    if (is_final) break;
  }
  FUZZ_CHECK(cut.offset() == file.size());
  FUZZ_CHECK(equal(plaintext, o.plaintext));
  return true;
}

// Replaces the wrapped key of `header` by the one sealed with `salt`, after
// checking that the one there unwraps (documented context) to kStreamDataKey.
inline void rewrap_deterministic(Bytes& header, size_t immutable, ByteView id,
                                 const uint8_t (&master)[32], ByteView salt,
                                 uint8_t suite) {
  const Bytes context = model::wrap_context(ByteView(header).first(immutable), id);
  MutableByteView wrapped(header.data() + immutable + 1 + id.size(),
                          model::kWrappedKeyBytes);
  uint8_t dek[32];
  FUZZ_CHECK(unwrap_key(master_hmac_key(master), bv(context), wrapped, dek).ok());
  FUZZ_CHECK(equal(dek, kStreamDataKey));
  FUZZ_CHECK(record_seal_with_salt(master_hmac_key(master), kKekKeyId, salt,
                                   bv(context), kStreamDataKey, wrapped, suite)
                 .ok());
}

inline void check_seal_refusals(ByteView id, ByteView context, uint32_t chunk,
                                size_t header_bytes) {
  static uint8_t big_context[kStreamMaxContextBytes + 1];
  Bytes h(header_bytes), k(kStreamKeyBytes);
  const ByteView dek = kStreamDataKey;
  const ByteView file_id = dek.first(16);
  auto code = [&](ByteView master, ByteView i, ByteView c, uint32_t cb,
                  ByteView dk, ByteView fid, MutableByteView ho,
                  MutableByteView ko) {
    return stream_seal_begin_with(master, i, c, cb, dk, fid, ho, ko).code();
  };
  constexpr ErrorCode kInv = ErrorCode::kInvalidArgument;
  FUZZ_CHECK(code(kStreamMaster, id, context, kStreamMinChunkBytes - 1, dek,
                  file_id, h, k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, kStreamMaxChunkBytes + 1, dek,
                  file_id, h, k) == kInv);
  FUZZ_CHECK(code(ByteView(kStreamMaster).first(31), id, context, chunk, dek,
                  file_id, h, k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, chunk, dek.first(31), file_id, h,
                  k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, chunk, dek, dek.first(15), h, k) ==
             kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, chunk, dek, file_id,
                  MutableByteView(h).first(header_bytes - 1), k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, chunk, dek, file_id, h,
                  MutableByteView(k).first(kStreamKeyBytes - 1)) == kInv);
  Bytes big(stream_header_bytes(kStreamMaxContextBytes + 1, id.size()));
  FUZZ_CHECK(code(kStreamMaster, id, big_context, chunk, dek, file_id, big, k) ==
             kInv);
}

// The wrapped key is a v1 record of either suite.
inline uint8_t wrap_suite(const StreamInput& in) {
  return (in.flags & 4) ? kSuiteChaCha20Poly1305Committed : kSuiteAes256GcmCommitted;
}

// Seals the structured input's stream under kStreamMaster and the input's key
// id (kStreamKeyId when that is invalid, after checking that sealing refuses
// it) with kStreamDataKey, its wrap salt pinned to the input's, checking that
// it is the documented construction and opens, as chunks and as a file.
inline Original seal_checked(const StreamInput& in) {
  const uint32_t chunk = in.chunk_bytes();
  const ByteView context = in.context;
  const ByteView plaintext = in.plaintext;
  ByteView id = in.key_id;
  FUZZ_CHECK(stream_key_id_valid(id) == model::key_id_valid(id));
  if (!model::key_id_valid(id)) {
    Bytes h(stream_header_bytes(context.size(), id.size())), k(kStreamKeyBytes);
    FUZZ_CHECK(stream_seal_begin_with(kStreamMaster, id, context, chunk, kStreamDataKey,
                                      in.file_id, h, k)
                   .code() == ErrorCode::kInvalidArgument);
    id = bv(kStreamKeyId);
  }
  Original o;
  o.id = id;
  o.new_id = (in.flags & 1) ? id : bv(kStreamKeyId2);
  o.context = context;
  o.plaintext = plaintext;
  o.chunk = chunk;
  o.immutable = stream_immutable_bytes(context.size());
  o.header.resize(stream_header_bytes(context.size(), id.size()));
  o.key.resize(kStreamKeyBytes);
  FUZZ_CHECK(stream_seal_begin_with(kStreamMaster, id, context, chunk, kStreamDataKey,
                                    in.file_id, o.header, o.key)
                 .ok());
  check_seal_refusals(id, context, chunk, o.header.size());

  // The documented layout and derivation.
  const model::Layout m = check_parse(o.header);
  FUZZ_CHECK(m.ok && m.total == o.header.size() && m.chunk == chunk &&
             m.context == context.size() && m.immutable == o.immutable);
  FUZZ_CHECK(equal(ByteView(o.header).subspan(model::kFileIdOffset, model::kFileIdBytes),
                   in.file_id));
  FUZZ_CHECK(equal(ByteView(o.header).subspan(model::kContextOffset, context.size()),
                   context));
  FUZZ_CHECK(equal(model::key_id(o.header, m), id));
  uint8_t okm[71];
  FUZZ_CHECK(hkdf_sha256_expand(HmacSha256Key(ByteView(kStreamDataKey)),
                                {bv("enveil/v1/stream"),
                                 ByteView(o.header).first(m.commitment_offset())},
                                okm)
                 .ok());
  FUZZ_CHECK(equal(o.key, ByteView(okm, 39)));
  FUZZ_CHECK(equal(ByteView(o.header).subspan(m.commitment_offset(),
                                              model::kCommitmentBytes),
                   ByteView(okm + 39, 32)));
  // Deterministic but for the wrap salt: pin it to the fuzz one.
  rewrap_deterministic(o.header, o.immutable, id, kStreamMaster, in.wrap_salt,
                       wrap_suite(in));
  Bytes key;
  FUZZ_CHECK(check_begin(kStreamMaster, id, o.header, o.header, key).ok());
  FUZZ_CHECK(equal(key, o.key));

  // Seal the chunks: full ones, then a final one of 0..C-1 bytes, each the
  // documented GCM construction.
  const ByteView immutable = ByteView(o.header).first(o.immutable);
  o.parts = model::plaintext_parts(plaintext, chunk);
  for (uint64_t i = 0; i < o.parts.size(); ++i) {
    const bool is_final = i + 1 == o.parts.size();
    const ByteView part = o.parts[i];
    model::Chunk c{Bytes(part.size() + model::kTagBytes)};
    FUZZ_CHECK(stream_seal_chunk(o.key, o.header, i, is_final, part, c.data).ok());
    uint8_t nonce[12];
    std::memcpy(nonce, okm + 32, 7);
    store_be32(nonce + 7, static_cast<uint32_t>(i));
    nonce[11] = is_final ? 1 : 0;
    Bytes expected(c.data.size());
    FUZZ_CHECK(aes256gcm_seal(ByteView(okm, 32), nonce, part, immutable, expected).ok());
    FUZZ_CHECK(expected == c.data);
    if (i == 0) {
      // The flag must fit the size; indexes stop at 2^32 - 1; out is exact.
      Bytes other(c.data.size());
      constexpr ErrorCode kInv = ErrorCode::kInvalidArgument;
      FUZZ_CHECK(stream_seal_chunk(o.key, o.header, i, !is_final, part, other).code() == kInv);
      FUZZ_CHECK(stream_seal_chunk(o.key, o.header, model::kPastMaxIndex, is_final, part,
                                   other)
                     .code() == kInv);
      Bytes longer(c.data.size() + 1);
      FUZZ_CHECK(stream_seal_chunk(o.key, o.header, i, is_final, part, longer).code() == kInv);
      Bytes trailing = o.header;
      trailing.push_back(0);
      FUZZ_CHECK(stream_seal_chunk(o.key, trailing, i, is_final, part, other).code() == kInv);
      // Index 2^32 does not wrap around to index 0 when opening.
      Bytes out(part.size(), 0xA5);
      FUZZ_CHECK(stream_open_chunk(o.key, o.header, model::kPastMaxIndex, is_final, c.data,
                                   out)
                     .code() == ErrorCode::kAuthFailed);
      FUZZ_CHECK(all_zero(out));
    }
    o.chunks.push_back(std::move(c));
  }
  FUZZ_CHECK(o.chunks.size() == plaintext.size() / chunk + 1);
  o.file = model::flatten(o.header, o.chunks);

  // The original opens, chunk by chunk and as a file.
  FUZZ_CHECK(open_chunks(o, o.header, o.chunks));
  FUZZ_CHECK(open_file(o, o.file, kStreamMaster, id, o.header));
  return o;
}

// Re-wraps the original to kStreamMaster2 and new_id (in place when the sizes
// allow and the input says so), its salt pinned to the input's re-wrap salt:
// the immutable part is unchanged, every chunk opens under the new header,
// the old key no longer opens it, and re-wrapping refuses the wrong key, id
// or size.
inline void rewrap_checked(Original& o, const StreamInput& in) {
  const ByteView id = o.id;
  o.rewrapped.resize(stream_header_bytes(o.context.size(), o.new_id.size()));
  if ((in.flags & 2) && o.rewrapped.size() == o.header.size()) {
    o.rewrapped = o.header;
    FUZZ_CHECK(stream_rewrap_header(kStreamMaster, id, kStreamMaster2, o.new_id,
                                    o.rewrapped, o.rewrapped)
                   .ok());
  } else {
    FUZZ_CHECK(stream_rewrap_header(kStreamMaster, id, kStreamMaster2, o.new_id,
                                    o.header, o.rewrapped)
                   .ok());
  }
  FUZZ_CHECK(equal(ByteView(o.rewrapped).first(o.immutable),
                   ByteView(o.header).first(o.immutable)));
  const model::Layout mr = check_parse(o.rewrapped);
  FUZZ_CHECK(mr.ok && mr.total == o.rewrapped.size() &&
             equal(model::key_id(o.rewrapped, mr), o.new_id));
  rewrap_deterministic(o.rewrapped, o.immutable, o.new_id, kStreamMaster2,
                       in.rewrap_salt, wrap_suite(in));
  Bytes key;
  FUZZ_CHECK(check_begin(kStreamMaster2, o.new_id, o.rewrapped, o.rewrapped, key).ok());
  FUZZ_CHECK(equal(key, o.key));
  FUZZ_CHECK(open_chunks(o, o.rewrapped, o.chunks));
  const Bytes rotated_file = model::flatten(o.rewrapped, o.chunks);
  FUZZ_CHECK(open_file(o, rotated_file, kStreamMaster2, o.new_id, o.rewrapped));
  // The old key no longer opens it, nor is it a header of the old key.
  FUZZ_CHECK(!check_begin(kStreamMaster, id, o.rewrapped, kNoneOpens, key).ok());
  FUZZ_CHECK(!open_file(o, rotated_file, kStreamMaster, id, ByteView()));
  FUZZ_CHECK(!check_begin(kStreamMaster, o.new_id, o.rewrapped, kNoneOpens, key).ok());
  // Rewrapping needs the old key under its id, and exact sizes.
  Bytes again(o.rewrapped.size());
  FUZZ_CHECK(stream_rewrap_header(kStreamOtherMaster, id, kStreamMaster2, o.new_id,
                                  o.header, again)
                 .code() == ErrorCode::kAuthFailed);
  if (!equal(id, bv(kStreamKeyId2))) {
    Bytes named(stream_header_bytes(o.context.size(), kStreamKeyId2.size()));
    FUZZ_CHECK(stream_rewrap_header(kStreamMaster, bv(kStreamKeyId2), kStreamMaster2,
                                    bv(kStreamKeyId2), o.header, named)
                   .code() == ErrorCode::kUnknownKey);
  }
  Bytes longer(o.rewrapped.size() + 1);
  FUZZ_CHECK(stream_rewrap_header(kStreamMaster, id, kStreamMaster2, o.new_id,
                                  o.header, longer)
                 .code() == ErrorCode::kInvalidArgument);
  FUZZ_CHECK(stream_rewrap_header(kStreamMaster, id, kStreamMaster2, bv(".x"),
                                  o.header, again)
                 .code() == ErrorCode::kInvalidArgument);
}

// The mutated stream: as a list (the header, then every chunk, each
// predicted on its own) and as a file, it opens only when it is byte for byte
// the original; the mutated re-wrapped header opens only when it is the
// re-wrapped one, and never under the old key.
inline void check_mutated(const Original& o, ByteView header, ByteView rewrapped,
                          const std::vector<model::Chunk>& chunks) {
  Bytes key;
  const bool begun = check_begin(kStreamMaster, o.id, header, o.header, key).ok();
  if (begun) FUZZ_CHECK(equal(key, o.key));
  const bool listed = open_chunks(o, header, chunks);
  FUZZ_CHECK((begun && listed) == (equal(header, o.header) && chunks == o.chunks));
  const Bytes file = model::flatten(header, chunks);
  FUZZ_CHECK(open_file(o, file, kStreamMaster, o.id, o.header) == (file == o.file));
  FUZZ_CHECK(check_begin(kStreamMaster2, o.new_id, rewrapped, o.rewrapped, key).ok() ==
             equal(rewrapped, o.rewrapped));
  FUZZ_CHECK(check_begin(kStreamMaster, o.id, rewrapped, o.header, key).ok() ==
             equal(rewrapped, o.header));
  open_chunks(o, rewrapped, chunks);
}

}  // namespace enveil_fuzz

#endif  // ENVEIL_FUZZ_STREAM_ORACLE_H_
