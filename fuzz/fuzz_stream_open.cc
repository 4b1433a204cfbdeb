// Stream format v1: parsing and opening arbitrary bytes, and tampering with
// valid streams.
//
// Every header is checked against an independent model of the documented
// layout (magic "ENVEIL", version 1, suite 1, chunk size 16..2^24, context
// length <= 1024, key id 1..64 bytes of [A-Za-z0-9._-] not starting with '.'
// or '-', 62 + n + 1 + k + 102 bytes).
//
// Input byte 0, bit 0 clear (raw): bit 1 clear, the rest is a file, split as
// a reader splits it (the header that stream_parse_header() finds, then
// chunks of chunk size + 16 bytes, the first shorter one final); bit 1 set,
// an explicit split: u16 header length, the header, then chunk candidates
// (u8 flags, u16 length, the bytes; flags bit 0 final, bit 1 index + 2^32,
// bit 2 an explicit u16 index follows the length). Invariants:
//   - stream_parse_header() succeeds exactly when the model does, with every
//     view at its documented offset, and fails with kAuthFailed otherwise;
//     stream_key_id_valid() agrees with the model;
//   - stream_open_begin() under the fixed master key and id fails with
//     kAuthFailed for a header that is not exactly one well-formed header,
//     kUnknownKey for another (valid) key id, kAuthFailed otherwise, and
//     wipes the key; a header that does open is exactly what sealing with
//     its unwrapped data key and file id gives (and re-sealing its wrapped
//     key with its salt), and does not open under another key of the same id;
//   - stream_open_chunk() under a fixed stream key fails with kAuthFailed
//     and leaves the output all zeros (kInvalidArgument for a malformed
//     header, a wrong key or out size: the output untouched or wiped); under
//     the key of a header that opened, a chunk that opens is what sealing its
//     plaintext at that index gives, and opens at no other index.
//
// Input byte 0, bit 0 set (structured): u8 flags, u8 chunk size (16 + v %
// 241), 16 bytes file id, 16 bytes wrap salt, 16 bytes re-wrap salt, u8 key
// id length (% 65) and the id, u16 context length (% 1025) and the context,
// u16 plaintext length (% 4097) and the plaintext, then mutations (op, u8
// chunk, u16 pos, value; see StreamMutation). The stream is sealed under the
// fixed master key and the fuzz key id (the fixed one when that is invalid,
// after checking that sealing refuses it) with stream_seal_begin_with and a
// fixed data key; its wrapped key is re-sealed with the fuzz salt so that the
// whole input is deterministic. Invariants:
//   - the header and every chunk are the documented construction (HKDF
//     stream key and commitment, the wrap context, GCM nonces and AAD), the
//     stream opens chunk by chunk to exactly the plaintext, and sealing
//     refuses wrong sizes, flags and indexes;
//   - re-wrapped to another master key (and maybe id, maybe in place), the
//     immutable part is unchanged, every chunk opens under the new header,
//     the header no longer opens under the old key;
//   - mutated (header and chunks as a list, and the same bytes as one file
//     read as a reader reads it): each call fails or succeeds exactly as
//     predicted (a chunk opens only when it is the original chunk at its
//     index with its final flag, under a header with the original immutable
//     part), failures are kAuthFailed / kUnknownKey with the output wiped,
//     and the stream opens only when it is byte for byte the original, then
//     to the exact plaintext; the mutated re-wrapped header opens only when
//     it is the re-wrapped header, and never under the old key.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "aes_gcm.h"
#include "fuzz_common.h"
#include "hkdf.h"
#include "hmac.h"
#include "key_wrap.h"
#include "record_format.h"
#include "stream_format.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

static_assert(sizeof kStreamFixedKey == kStreamKeyBytes);
static_assert(kStreamKeyBytes == 39 && kWrappedKeyBytes == 102);

constexpr uint8_t kDataKey[32] = {
    0x64, 0x65, 0x6b, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x09, 0x19, 0x29,
    0x39, 0x49, 0x59, 0x69, 0x79, 0x89, 0x99, 0xa9, 0xb9, 0xc9, 0xd9,
    0xe9, 0xf9, 0x08, 0x18, 0x28, 0x38, 0x48, 0x58, 0x68, 0x78};
constexpr size_t kTag = 16;
constexpr uint64_t kPastMaxIndex = uint64_t{1} << 32;
constexpr size_t kMaxChunks = 512;

// ---- independent model of the header ---------------------------------------

bool model_key_id_valid(ByteView id) {
  static constexpr std::string_view kAllowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
  if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-') return false;
  for (uint8_t c : id) {
    if (c == 0 || kAllowed.find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

struct Layout {
  bool ok = false;
  uint32_t chunk = 0;
  size_t context = 0;    // n
  size_t immutable = 0;  // 62 + n
  size_t key_id = 0;     // k
  size_t total = 0;      // 62 + n + 1 + k + 102
};

Layout model_parse(ByteView b) {
  Layout l;
  if (b.size() < 30 || std::memcmp(b.data(), "ENVEIL", 6) != 0 || b[6] != 1 ||
      b[7] != 1) {
    return l;
  }
  const uint32_t chunk = uint32_t{b[8]} << 24 | uint32_t{b[9]} << 16 |
                         uint32_t{b[10]} << 8 | b[11];
  const size_t n = size_t{b[28]} << 8 | b[29];
  if (chunk < 16 || chunk > (uint32_t{1} << 24) || n > 1024) return l;
  const size_t immutable = 30 + n + 32;
  if (b.size() < immutable + 1) return l;
  const size_t k = b[immutable];
  const size_t total = immutable + 1 + k + 102;
  if (b.size() < total || !model_key_id_valid(b.subspan(immutable + 1, k))) {
    return l;
  }
  l.ok = true;
  l.chunk = chunk;
  l.context = n;
  l.immutable = immutable;
  l.key_id = k;
  l.total = total;
  return l;
}

// Exactly one well-formed header, nothing after it.
bool model_exact(ByteView header) {
  const Layout l = model_parse(header);
  return l.ok && l.total == header.size();
}

// Outputs are filled with 0xA5 before each call. A call refused before it
// decrypts anything may leave the output as it was, or wipe it.
bool untouched_or_wiped(ByteView out) {
  bool untouched = true;
  for (uint8_t x : out) untouched = untouched && x == 0xA5;
  return untouched || all_zero(out);
}

bool same_view(ByteView v, ByteView base, size_t offset, size_t size) {
  return v.data() == base.data() + offset && v.size() == size;
}

// stream_parse_header() against the model, on `b` and around its size.
Layout check_parse(ByteView b) {
  const Layout m = model_parse(b);
  // The key id the bytes would carry, whatever else is wrong: the validity
  // check agrees with the model.
  if (b.size() > 62) {
    const size_t n = size_t{b[28]} << 8 | b[29];
    if (b.size() > 62 + n) {
      const ByteView id = b.subspan(63 + n, std::min<size_t>(b[62 + n], b.size() - 63 - n));
      FUZZ_CHECK(stream_key_id_valid(id) == model_key_id_valid(id));
    }
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
  FUZZ_CHECK(same_view(v.file_id, b, 12, 16));
  FUZZ_CHECK(same_view(v.context, b, 30, m.context));
  FUZZ_CHECK(same_view(v.commitment, b, 30 + m.context, 32));
  FUZZ_CHECK(same_view(v.key_id, b, m.immutable + 1, m.key_id));
  FUZZ_CHECK(same_view(v.wrapped_key, b, m.immutable + 1 + m.key_id, 102));
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

ByteView model_key_id(ByteView header, const Layout& m) {
  return header.subspan(m.immutable + 1, m.key_id);
}

// "enveil/v1/stream-dek" ‖ lp(immutable) ‖ lp(key id), lp = u32be length.
Bytes wrap_context(ByteView immutable, ByteView key_id) {
  Writer w;
  w.bytes("enveil/v1/stream-dek")
      .u32(static_cast<uint32_t>(immutable.size()))
      .bytes(immutable)
      .u32(static_cast<uint32_t>(key_id.size()))
      .bytes(key_id);
  return w.data();
}

// The HMAC key of kStreamMaster, kStreamOtherMaster or kStreamMaster2.
const HmacSha256Key& hmac_key(const uint8_t (&key)[32]) {
  static const HmacSha256Key master{ByteView(kStreamMaster)};
  static const HmacSha256Key other{ByteView(kStreamOtherMaster)};
  static const HmacSha256Key master2{ByteView(kStreamMaster2)};
  if (&key[0] == &kStreamMaster[0]) return master;
  if (&key[0] == &kStreamOtherMaster[0]) return other;
  FUZZ_CHECK(&key[0] == &kStreamMaster2[0]);
  return master2;
}

// ---- stream_open_begin ------------------------------------------------------

// `valid` for check_begin(): the one header that opens under (master, id);
// empty: none does; kMayOpen: unknown (raw bytes), any well-formed header
// naming `id` may open or fail with kAuthFailed.
const std::optional<ByteView> kMayOpen = std::nullopt;
const std::optional<ByteView> kNoneOpens = ByteView();

// The documented outcome of stream_open_begin(master, id, header). Returns
// the status; `key` is the stream key on success, zeros otherwise.
Status check_begin(ByteView master, ByteView id, ByteView header,
                   std::optional<ByteView> valid, Bytes& key) {
  key.assign(kStreamKeyBytes, 0xA5);
  const Status s = stream_open_begin(master, id, header, key);
  const Layout m = model_parse(header);
  if (!model_exact(header)) {
    FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
  } else if (!equal(model_key_id(header, m), id)) {
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
void check_authentic(ByteView header, const Layout& m, ByteView key) {
  const ByteView immutable = header.first(m.immutable);
  const ByteView id = model_key_id(header, m);
  const ByteView wrapped = header.subspan(m.immutable + 1 + m.key_id, 102);
  const Bytes context = wrap_context(immutable, id);
  uint8_t dek[32];
  FUZZ_CHECK(unwrap_key(hmac_key(kStreamMaster), bv(context), wrapped, dek).ok());
  Bytes rebuilt(header.size()), key2(kStreamKeyBytes);
  FUZZ_CHECK(stream_seal_begin_with(kStreamMaster, id,
                                    header.subspan(30, m.context), m.chunk, dek,
                                    header.subspan(12, 16), rebuilt, key2)
                 .ok());
  FUZZ_CHECK(equal(ByteView(rebuilt).first(m.immutable + 1 + m.key_id),
                   header.first(m.immutable + 1 + m.key_id)));
  FUZZ_CHECK(equal(key2, key));
  Bytes rewrapped(102);
  FUZZ_CHECK(record_seal_with_salt(hmac_key(kStreamMaster), kKekKeyId,
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

// ---- stream_open_chunk on raw bytes -----------------------------------------

// `real`: `key` is the stream key `header` opened to (a chunk may then be
// genuine); otherwise no chunk may open.
void check_raw_chunk(ByteView key, bool real, ByteView header, uint64_t index,
                     bool is_final, ByteView sealed) {
  const Layout m = model_parse(header);
  const bool exact = model_exact(header);
  Bytes out(sealed.size() >= kTag ? sealed.size() - kTag : 0, 0xA5);
  const Status s = stream_open_chunk(key, header, index, is_final, sealed, out);
  if (!exact) {
    FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument);
    FUZZ_CHECK(untouched_or_wiped(out));
    return;
  }
  // Impossible sizes: no chunk at all, or not what its position allows.
  const bool size_ok = sealed.size() >= kTag && index < kPastMaxIndex &&
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
    FUZZ_CHECK(stream_open_chunk(key, header, index + kPastMaxIndex, is_final,
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

void check_raw_header(ByteView header, Bytes& key, bool& real) {
  const Layout m = model_parse(header);
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

void fuzz_raw_file(ByteView file) {
  const Layout m = check_parse(file);
  Bytes key;
  bool real = false;
  if (!m.ok) {
    // Not a header: the whole input is refused as one, and chunks under it.
    check_raw_header(file, key, real);
    FUZZ_CHECK(!real);
    check_raw_chunk(key, false, file, 0, true, ByteView());
    return;
  }
  const ByteView header = file.first(m.total);
  check_raw_header(header, key, real);
  // One header exactly: with the body after it, it is no header.
  if (m.total < file.size()) {
    Bytes k(kStreamKeyBytes, 0xA5);
    FUZZ_CHECK(stream_open_begin(kStreamMaster, bv(kStreamKeyId), file, k).code() ==
               ErrorCode::kAuthFailed);
    FUZZ_CHECK(all_zero(k));
  }
  const size_t record = size_t{m.chunk} + kTag;
  size_t at = m.total;
  for (uint64_t index = 0; index < kMaxChunks; ++index) {
    const size_t n = std::min(record, file.size() - at);
    const bool is_final = n < record;
    check_raw_chunk(key, real, header, index, is_final, file.subspan(at, n));
    at += n;
    if (is_final) break;
  }
}

void fuzz_raw_split(Reader& r) {
  const ByteView header = r.bytes(r.u16());
  check_parse(header);
  Bytes key;
  bool real = false;
  check_raw_header(header, key, real);
  for (uint64_t i = 0; !r.empty() && i < 64; ++i) {
    const uint8_t flags = r.u8();
    const ByteView sealed = r.bytes(r.u16());
    uint64_t index = (flags & 4) ? r.u16() : i;
    if (flags & 2) index += kPastMaxIndex;
    check_raw_chunk(key, real, header, index, flags & 1, sealed);
  }
}

// ---- structured ---------------------------------------------------------------

struct Chunk {
  Bytes data;
  bool flip_final = false;  // opened with the other final flag
  bool operator==(const Chunk&) const = default;
};

struct Original {
  Bytes header;  // under kStreamMaster, id
  Bytes rewrapped;  // under kStreamMaster2, new_id
  ByteView id, new_id;
  size_t immutable = 0;
  uint32_t chunk = 0;
  Bytes key;  // the stream key
  std::vector<Chunk> chunks;
  ByteView plaintext;
  Bytes file;  // header ‖ chunks
};

Bytes flatten(ByteView header, const std::vector<Chunk>& chunks) {
  Bytes f(header.begin(), header.end());
  for (const Chunk& c : chunks) f.insert(f.end(), c.data.begin(), c.data.end());
  return f;
}

// Chunk i as the original has it, and where its plaintext is.
ByteView plaintext_of(const Original& o, size_t i) {
  const size_t at = i * o.chunk;
  return o.plaintext.subspan(at, o.chunks[i].data.size() - kTag);
}

// Opens `chunks` one by one under `header` with the original stream key: each
// call succeeds exactly when the chunk is the original one at its index with
// its final flag and the header carries the original immutable part. Returns
// whether every chunk opened (and there were as many as in the original).
bool open_chunks(const Original& o, ByteView header,
                 const std::vector<Chunk>& chunks) {
  const Layout m = model_parse(header);
  const bool exact = model_exact(header);
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
      FUZZ_CHECK(equal(out, plaintext_of(o, i)));
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
bool open_file(const Original& o, ByteView file, const uint8_t (&master)[32],
               ByteView id, ByteView valid) {
  const Layout m = check_parse(file);
  if (!m.ok) return false;
  const ByteView header = file.first(m.total);
  Bytes key;
  if (!check_begin(master, id, header, valid, key).ok()) return false;
  FUZZ_CHECK(equal(key, o.key));
  FUZZ_CHECK(m.chunk == o.chunk);
  const size_t record = size_t{m.chunk} + kTag;
  size_t at = m.total;
  Bytes plaintext;
  for (uint64_t i = 0;; ++i) {
    FUZZ_CHECK(i < kMaxChunks);
    const size_t n = std::min(record, file.size() - at);
    const bool is_final = n < record;
    const ByteView sealed = file.subspan(at, n);
    Bytes out(n >= kTag ? n - kTag : 0, 0xA5);
    const Status s = stream_open_chunk(key, header, i, is_final, sealed, out);
    const bool genuine = i < o.chunks.size() && equal(sealed, o.chunks[i].data);
    FUZZ_CHECK(s.ok() == genuine);
    if (!s.ok()) {
      FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
      FUZZ_CHECK(all_zero(out));
      return false;
    }
    FUZZ_CHECK(equal(out, plaintext_of(o, i)));
    plaintext.insert(plaintext.end(), out.begin(), out.end());
    at += n;
    if (is_final) break;
  }
  FUZZ_CHECK(at == file.size());
  FUZZ_CHECK(equal(plaintext, o.plaintext));
  return true;
}

void mutate_header(Bytes& h, uint8_t op, uint16_t pos, uint8_t value) {
  switch (op) {
    case kSMutHeaderXor:
      if (!h.empty()) h[pos % h.size()] ^= value ? value : 1;
      break;
    case kSMutHeaderSet:
      if (!h.empty()) h[pos % h.size()] = value;
      break;
    case kSMutHeaderTruncate:
      h.resize(pos % (h.size() + 1));
      break;
    case kSMutHeaderInsert:
      h.insert(h.begin() + static_cast<long>(pos % (h.size() + 1)), value);
      break;
    case kSMutHeaderErase:
      if (!h.empty()) h.erase(h.begin() + static_cast<long>(pos % h.size()));
      break;
    case kSMutHeaderSwap:
      if (!h.empty()) std::swap(h[pos % h.size()], h[(pos + value) % h.size()]);
      break;
  }
}

void mutate_chunks(std::vector<Chunk>& c, uint8_t op, uint8_t which,
                   uint16_t pos, uint8_t value) {
  if (op == kSMutAppendChunk) {
    c.push_back(Chunk{Bytes(pos % 300, value)});
    return;
  }
  if (c.empty()) return;
  const size_t n = c.size();
  Chunk& ch = c[which % n];
  Bytes& d = ch.data;
  switch (op) {
    case kSMutChunkXor:
      if (!d.empty()) d[pos % d.size()] ^= value ? value : 1;
      break;
    case kSMutChunkTruncate:
      d.resize(pos % (d.size() + 1));
      break;
    case kSMutChunkInsert:
      d.insert(d.begin() + static_cast<long>(pos % (d.size() + 1)), value);
      break;
    case kSMutChunkErase:
      if (!d.empty()) d.erase(d.begin() + static_cast<long>(pos % d.size()));
      break;
    case kSMutChunkDrop:
      c.erase(c.begin() + static_cast<long>(which % n));
      break;
    case kSMutChunkDup:
      if (n < kMaxChunks) {
        const Chunk copy = ch;
        c.insert(c.begin() + static_cast<long>(pos % (n + 1)), copy);
      }
      break;
    case kSMutChunkSwap:
      std::swap(ch, c[pos % n]);
      break;
    case kSMutChunkMove: {
      const Chunk moved = ch;
      c.erase(c.begin() + static_cast<long>(which % n));
      c.insert(c.begin() + static_cast<long>(pos % n), moved);
      break;
    }
    case kSMutCut:
      c.resize(which % (n + 1));
      break;
    case kSMutFlipFinal:
      ch.flip_final = !ch.flip_final;
      break;
    case kSMutAppend:
      c.back().data.push_back(value);
      break;
    case kSMutShift:
      if (which % n + 1 < n) {
        Bytes& next = c[which % n + 1].data;
        const size_t k = std::min<size_t>(pos % 32, d.size());
        next.insert(next.begin(), d.end() - static_cast<long>(k), d.end());
        d.resize(d.size() - k);
      }
      break;
  }
}

// Replaces the wrapped key of `header` by the one sealed with `salt`, after
// checking that the one there unwraps (documented context) to kDataKey.
void rewrap_deterministic(Bytes& header, size_t immutable, ByteView id,
                          const uint8_t (&master)[32], ByteView salt,
                          uint8_t suite) {
  const Bytes context = wrap_context(ByteView(header).first(immutable), id);
  MutableByteView wrapped(header.data() + immutable + 1 + id.size(), 102);
  uint8_t dek[32];
  FUZZ_CHECK(unwrap_key(hmac_key(master), bv(context), wrapped, dek).ok());
  FUZZ_CHECK(equal(dek, kDataKey));
  FUZZ_CHECK(record_seal_with_salt(hmac_key(master), kKekKeyId, salt,
                                   bv(context), kDataKey, wrapped, suite)
                 .ok());
}

void check_seal_refusals(ByteView id, ByteView context, uint32_t chunk,
                         size_t header_bytes) {
  static uint8_t big_context[kStreamMaxContextBytes + 1];
  Bytes h(header_bytes), k(kStreamKeyBytes);
  const ByteView file_id = ByteView(kDataKey).first(16);
  auto code = [&](ByteView master, ByteView i, ByteView c, uint32_t cb,
                  ByteView dek, ByteView fid, MutableByteView ho,
                  MutableByteView ko) {
    return stream_seal_begin_with(master, i, c, cb, dek, fid, ho, ko).code();
  };
  constexpr ErrorCode kInv = ErrorCode::kInvalidArgument;
  FUZZ_CHECK(code(kStreamMaster, id, context, kStreamMinChunkBytes - 1, kDataKey,
                  file_id, h, k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, kStreamMaxChunkBytes + 1, kDataKey,
                  file_id, h, k) == kInv);
  FUZZ_CHECK(code(ByteView(kStreamMaster).first(31), id, context, chunk,
                  kDataKey, file_id, h, k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, chunk, ByteView(kDataKey).first(31),
                  file_id, h, k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, chunk, kDataKey,
                  ByteView(kDataKey).first(15), h, k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, chunk, kDataKey, file_id,
                  MutableByteView(h).first(header_bytes - 1), k) == kInv);
  FUZZ_CHECK(code(kStreamMaster, id, context, chunk, kDataKey, file_id, h,
                  MutableByteView(k).first(kStreamKeyBytes - 1)) == kInv);
  Bytes big(stream_header_bytes(kStreamMaxContextBytes + 1, id.size()));
  FUZZ_CHECK(code(kStreamMaster, id, big_context, chunk, kDataKey, file_id, big,
                  k) == kInv);
}

void fuzz_structured(Reader& r) {
  const uint8_t flags = r.u8();
  const uint32_t chunk = 16 + r.u8() % 241;
  // The wrapped key is a v1 record of either suite.
  const uint8_t wrap_suite = (flags & 4) ? kSuiteChaCha20Poly1305Committed
                                         : kSuiteAes256GcmCommitted;
  uint8_t file_id[16] = {}, wrap_salt[16] = {}, rewrap_salt[16] = {};
  for (uint8_t* dst : {file_id, wrap_salt, rewrap_salt}) {
    const ByteView in = r.bytes(16);
    if (!in.empty()) std::memcpy(dst, in.data(), in.size());
  }
  ByteView id = r.bytes(r.u8() % 65);
  const ByteView context = r.bytes(r.u16() % 1025);
  const ByteView plaintext = r.bytes(r.u16() % 4097);

  // An invalid key id is refused; seal under the fixed one then.
  FUZZ_CHECK(stream_key_id_valid(id) == model_key_id_valid(id));
  if (!model_key_id_valid(id)) {
    Bytes h(stream_header_bytes(context.size(), id.size())), k(kStreamKeyBytes);
    FUZZ_CHECK(stream_seal_begin_with(kStreamMaster, id, context, chunk, kDataKey,
                                      file_id, h, k)
                   .code() == ErrorCode::kInvalidArgument);
    id = bv(kStreamKeyId);
  }
  Original o;
  o.id = id;
  o.new_id = (flags & 1) ? id : bv(kStreamKeyId2);
  o.plaintext = plaintext;
  o.chunk = chunk;
  o.immutable = stream_immutable_bytes(context.size());
  o.header.resize(stream_header_bytes(context.size(), id.size()));
  o.key.resize(kStreamKeyBytes);
  FUZZ_CHECK(stream_seal_begin_with(kStreamMaster, id, context, chunk, kDataKey,
                                    file_id, o.header, o.key)
                 .ok());
  check_seal_refusals(id, context, chunk, o.header.size());

  // The documented layout and derivation.
  const Layout m = check_parse(o.header);
  FUZZ_CHECK(m.ok && m.total == o.header.size() && m.chunk == chunk &&
             m.context == context.size() && m.immutable == o.immutable);
  FUZZ_CHECK(equal(ByteView(o.header).subspan(12, 16), file_id));
  FUZZ_CHECK(equal(ByteView(o.header).subspan(30, context.size()), context));
  FUZZ_CHECK(equal(model_key_id(o.header, m), id));
  uint8_t okm[71];
  FUZZ_CHECK(hkdf_sha256_expand(HmacSha256Key(ByteView(kDataKey)),
                                {bv("enveil/v1/stream"),
                                 ByteView(o.header).first(30 + context.size())},
                                okm)
                 .ok());
  FUZZ_CHECK(equal(o.key, ByteView(okm, 39)));
  FUZZ_CHECK(equal(ByteView(o.header).subspan(30 + context.size(), 32),
                   ByteView(okm + 39, 32)));
  // Deterministic but for the wrap salt: pin it to the fuzz one.
  rewrap_deterministic(o.header, o.immutable, id, kStreamMaster, wrap_salt,
                       wrap_suite);
  Bytes key;
  FUZZ_CHECK(check_begin(kStreamMaster, id, o.header, o.header, key).ok());
  FUZZ_CHECK(equal(key, o.key));

  // Seal the chunks: full ones, then a final one of 0..C-1 bytes, each the
  // documented GCM construction.
  const ByteView immutable = ByteView(o.header).first(o.immutable);
  size_t at = 0;
  for (uint64_t i = 0;; ++i) {
    const bool is_final = plaintext.size() - at < chunk;
    const ByteView part = plaintext.subspan(at, is_final ? plaintext.size() - at : chunk);
    Chunk c{Bytes(part.size() + kTag)};
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
      FUZZ_CHECK(stream_seal_chunk(o.key, o.header, kPastMaxIndex, is_final, part, other)
                     .code() == kInv);
      Bytes longer(c.data.size() + 1);
      FUZZ_CHECK(stream_seal_chunk(o.key, o.header, i, is_final, part, longer).code() == kInv);
      Bytes trailing = o.header;
      trailing.push_back(0);
      FUZZ_CHECK(stream_seal_chunk(o.key, trailing, i, is_final, part, other).code() == kInv);
      // Index 2^32 does not wrap around to index 0 when opening.
      Bytes out(part.size(), 0xA5);
      FUZZ_CHECK(stream_open_chunk(o.key, o.header, kPastMaxIndex, is_final, c.data, out)
                     .code() == ErrorCode::kAuthFailed);
      FUZZ_CHECK(all_zero(out));
    }
    o.chunks.push_back(std::move(c));
    at += part.size();
    if (is_final) break;
  }
  FUZZ_CHECK(o.chunks.size() == plaintext.size() / chunk + 1);
  o.file = flatten(o.header, o.chunks);

  // The original opens, chunk by chunk and as a file.
  FUZZ_CHECK(open_chunks(o, o.header, o.chunks));
  FUZZ_CHECK(open_file(o, o.file, kStreamMaster, id, o.header));

  // Rotation to kStreamMaster2 (in place when the sizes allow and flags say).
  o.rewrapped.resize(stream_header_bytes(context.size(), o.new_id.size()));
  if ((flags & 2) && o.rewrapped.size() == o.header.size()) {
    o.rewrapped = o.header;
    FUZZ_CHECK(stream_rewrap_header(kStreamMaster, id, kStreamMaster2, o.new_id,
                                    o.rewrapped, o.rewrapped)
                   .ok());
  } else {
    FUZZ_CHECK(stream_rewrap_header(kStreamMaster, id, kStreamMaster2, o.new_id,
                                    o.header, o.rewrapped)
                   .ok());
  }
  FUZZ_CHECK(equal(ByteView(o.rewrapped).first(o.immutable), immutable));
  const Layout mr = check_parse(o.rewrapped);
  FUZZ_CHECK(mr.ok && mr.total == o.rewrapped.size() &&
             equal(model_key_id(o.rewrapped, mr), o.new_id));
  rewrap_deterministic(o.rewrapped, o.immutable, o.new_id, kStreamMaster2,
                       rewrap_salt, wrap_suite);
  FUZZ_CHECK(check_begin(kStreamMaster2, o.new_id, o.rewrapped, o.rewrapped, key).ok());
  FUZZ_CHECK(equal(key, o.key));
  FUZZ_CHECK(open_chunks(o, o.rewrapped, o.chunks));
  const Bytes rotated_file = flatten(o.rewrapped, o.chunks);
  FUZZ_CHECK(open_file(o, rotated_file, kStreamMaster2, o.new_id, o.rewrapped));
  // The old key no longer opens it, nor is it a header of the old key.
  FUZZ_CHECK(!check_begin(kStreamMaster, id, o.rewrapped, kNoneOpens, key).ok());
  FUZZ_CHECK(!open_file(o, rotated_file, kStreamMaster, id, ByteView()));
  FUZZ_CHECK(!check_begin(kStreamMaster, o.new_id, o.rewrapped, kNoneOpens, key).ok());
  // Rewrapping needs the old key under its id, and exact sizes.
  {
    Bytes again(o.rewrapped.size());
    FUZZ_CHECK(stream_rewrap_header(kStreamOtherMaster, id, kStreamMaster2,
                                    o.new_id, o.header, again)
                   .code() == ErrorCode::kAuthFailed);
    if (!equal(id, bv(kStreamKeyId2))) {
      Bytes named(stream_header_bytes(context.size(), kStreamKeyId2.size()));
      FUZZ_CHECK(stream_rewrap_header(kStreamMaster, bv(kStreamKeyId2),
                                      kStreamMaster2, bv(kStreamKeyId2),
                                      o.header, named)
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

  // Mutations.
  Bytes header = o.header, rewrapped = o.rewrapped;
  std::vector<Chunk> chunks = o.chunks;
  for (size_t k = 0; !r.empty() && k < 64; ++k) {
    const uint8_t op = r.u8() % kSMutCount;
    const uint8_t which = r.u8();
    const uint16_t pos = r.u16();
    const uint8_t value = r.u8();
    if (op <= kSMutHeaderSwap) {
      mutate_header(header, op, pos, value);
      mutate_header(rewrapped, op, pos, value);
    } else {
      mutate_chunks(chunks, op, which, pos, value);
    }
  }

  // As a list: the header, then every chunk (each predicted on its own).
  Bytes begun_key;
  const bool begun =
      check_begin(kStreamMaster, id, header, o.header, begun_key).ok();
  if (begun) FUZZ_CHECK(equal(begun_key, o.key));
  const bool listed = open_chunks(o, header, chunks);
  FUZZ_CHECK((begun && listed) == (header == o.header && chunks == o.chunks));
  // As a file.
  const Bytes file = flatten(header, chunks);
  FUZZ_CHECK(open_file(o, file, kStreamMaster, id, o.header) == (file == o.file));
  // The mutated re-wrapped header: only the re-wrapped one opens, and never
  // under the old key.
  FUZZ_CHECK(check_begin(kStreamMaster2, o.new_id, rewrapped, o.rewrapped, key).ok() ==
             (rewrapped == o.rewrapped));
  FUZZ_CHECK(check_begin(kStreamMaster, id, rewrapped, o.header, key).ok() ==
             (rewrapped == o.header));
  open_chunks(o, rewrapped, chunks);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  Reader r(data + 1, size - 1);
  if (mode & kStreamModeStructured) {
    fuzz_structured(r);
  } else if (mode & kStreamModeRawSplit) {
    fuzz_raw_split(r);
  } else {
    fuzz_raw_file(ByteView(data + 1, size - 1));
  }
  return 0;
}
