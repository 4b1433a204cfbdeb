// An independent model of stream format v1, written from the layout that
// src/stream_format.h documents and on purpose not from src/stream_format.cc
// (its numbers are its own): the header's offsets and rules, the wrap context,
// how a plaintext is cut into chunks and how a reader cuts a file.
// fuzz_stream_open checks the core against it; make_seeds builds its seeds
// with it.
#ifndef ENVEIL_FUZZ_STREAM_MODEL_H_
#define ENVEIL_FUZZ_STREAM_MODEL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "fuzz_common.h"

namespace enveil_fuzz::model {

// ---- the header --------------------------------------------------------------
//   0 magic "ENVEIL", 6 version 1, 7 suite 1, 8 u32 chunk size C, 12 file id
//   (16), 28 u16 context length n, 30 context, 30 + n commitment (32); then
//   62 + n u8 key id length k, 63 + n key id, 63 + n + k wrapped key (102).
inline constexpr std::string_view kMagic = "ENVEIL";
inline constexpr size_t kVersionOffset = 6;
inline constexpr size_t kSuiteOffset = 7;
inline constexpr size_t kChunkSizeOffset = 8;
inline constexpr size_t kFileIdOffset = 12;
inline constexpr size_t kFileIdBytes = 16;
inline constexpr size_t kContextLengthOffset = 28;
inline constexpr size_t kContextOffset = 30;
inline constexpr size_t kCommitmentBytes = 32;
inline constexpr size_t kWrappedKeyBytes = 102;
inline constexpr uint32_t kMinChunkBytes = 16;
inline constexpr uint32_t kMaxChunkBytes = uint32_t{1} << 24;
inline constexpr size_t kMaxContextBytes = 1024;
inline constexpr size_t kMaxKeyIdBytes = 64;
inline constexpr size_t kTagBytes = 16;
// Chunk indexes stop at 2^32 - 1: this one is past the last.
inline constexpr uint64_t kPastMaxIndex = uint64_t{1} << 32;
// Not a format limit: the most chunks the target reads from one file or lets
// a list of chunks grow to, a bound on the work of one input.
inline constexpr size_t kMaxChunks = 512;

// Bytes 0 .. 62 + n: what every chunk authenticates.
inline size_t immutable_bytes(size_t context_bytes) {
  return kContextOffset + context_bytes + kCommitmentBytes;
}

// 1..64 bytes of [A-Za-z0-9._-], not starting with '.' or '-'.
inline bool key_id_valid(ByteView id) {
  static constexpr std::string_view kAllowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
  if (id.empty() || id.size() > kMaxKeyIdBytes || id[0] == '.' || id[0] == '-') {
    return false;
  }
  for (uint8_t c : id) {
    if (c == 0 || kAllowed.find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

inline size_t context_length(ByteView b) {  // b holds at least 30 bytes
  return size_t{b[kContextLengthOffset]} << 8 | b[kContextLengthOffset + 1];
}

// The key id that bytes would carry, whatever else is wrong with them
// (cut short where they end); none when they end before its length byte.
inline std::optional<ByteView> claimed_key_id(ByteView b) {
  if (b.size() <= kContextOffset + kCommitmentBytes) return std::nullopt;
  const size_t at = immutable_bytes(context_length(b));
  if (b.size() <= at) return std::nullopt;
  return b.subspan(at + 1, std::min<size_t>(b[at], b.size() - at - 1));
}

// Where the parts of a well-formed header are (ok), found at the start of
// some bytes.
struct Layout {
  bool ok = false;
  uint32_t chunk = 0;
  size_t context = 0;    // n
  size_t immutable = 0;  // 62 + n
  size_t key_id = 0;     // k
  size_t total = 0;      // 62 + n + 1 + k + 102

  size_t commitment_offset() const { return kContextOffset + context; }
  size_t key_id_offset() const { return immutable + 1; }
  size_t wrapped_key_offset() const { return immutable + 1 + key_id; }
};

inline Layout parse(ByteView b) {
  Layout l;
  if (b.size() < kContextOffset ||
      std::memcmp(b.data(), kMagic.data(), kMagic.size()) != 0 ||
      b[kVersionOffset] != 1 || b[kSuiteOffset] != 1) {
    return l;
  }
  const uint8_t* c = b.data() + kChunkSizeOffset;
  const uint32_t chunk =
      uint32_t{c[0]} << 24 | uint32_t{c[1]} << 16 | uint32_t{c[2]} << 8 | c[3];
  const size_t n = context_length(b);
  if (chunk < kMinChunkBytes || chunk > kMaxChunkBytes || n > kMaxContextBytes) {
    return l;
  }
  const size_t immutable = immutable_bytes(n);
  if (b.size() < immutable + 1) return l;
  const size_t k = b[immutable];
  const size_t total = immutable + 1 + k + kWrappedKeyBytes;
  if (b.size() < total || !key_id_valid(b.subspan(immutable + 1, k))) return l;
  l.ok = true;
  l.chunk = chunk;
  l.context = n;
  l.immutable = immutable;
  l.key_id = k;
  l.total = total;
  return l;
}

// Exactly one well-formed header, nothing after it.
inline bool exact(ByteView header) {
  const Layout l = parse(header);
  return l.ok && l.total == header.size();
}

inline ByteView key_id(ByteView header, const Layout& l) {
  return header.subspan(l.key_id_offset(), l.key_id);
}

inline ByteView wrapped_key(ByteView header, const Layout& l) {
  return header.subspan(l.wrapped_key_offset(), kWrappedKeyBytes);
}

// The context the data key is wrapped under: "enveil/v1/stream-dek" ‖
// lp(immutable part) ‖ lp(key id), lp = u32be length.
inline Bytes wrap_context(ByteView immutable, ByteView key_id) {
  Writer w;
  w.bytes("enveil/v1/stream-dek")
      .u32(static_cast<uint32_t>(immutable.size()))
      .bytes(immutable)
      .u32(static_cast<uint32_t>(key_id.size()))
      .bytes(key_id);
  return w.data();
}

// ---- the body ------------------------------------------------------------------

// The plaintext of each chunk: every one but the last holds exactly `chunk`
// bytes, the last (final) 0 .. chunk - 1, so that an empty plaintext is one
// empty final chunk.
inline std::vector<ByteView> plaintext_parts(ByteView plaintext, uint32_t chunk) {
  std::vector<ByteView> parts;
  for (size_t at = 0;; at += chunk) {
    const bool is_final = plaintext.size() - at < chunk;
    parts.push_back(plaintext.subspan(at, is_final ? plaintext.size() - at : chunk));
    if (is_final) return parts;
  }
}

// A file as a reader cuts it: after the header, chunks of C + 16 bytes; the
// first shorter one (maybe empty) is the final one.
class FileChunks {
 public:
  FileChunks(ByteView file, const Layout& l)
      : file_(file), record_(size_t{l.chunk} + kTagBytes), at_(l.total) {}

  ByteView next(bool& is_final) {
    const size_t n = std::min(record_, file_.size() - at_);
    is_final = n < record_;
    const ByteView sealed = file_.subspan(at_, n);
    at_ += n;
    return sealed;
  }
  size_t offset() const { return at_; }

 private:
  ByteView file_;
  size_t record_;
  size_t at_;
};

// One sealed chunk in a list of chunks. flip_final: it is opened with the
// final flag its place in the list does not give (a mutation).
struct Chunk {
  Bytes data;
  bool flip_final = false;
  bool operator==(const Chunk&) const = default;
};

// The stream as one file: the header, then the chunks.
inline Bytes flatten(ByteView header, const std::vector<Chunk>& chunks) {
  Bytes f(header.begin(), header.end());
  for (const Chunk& c : chunks) f.insert(f.end(), c.data.begin(), c.data.end());
  return f;
}

}  // namespace enveil_fuzz::model

#endif  // ENVEIL_FUZZ_STREAM_MODEL_H_
