// Stream format v1: files of any size sealed in chunks (the `enveil` command
// line's `seal`/`open`, and each value of a sealed .env file), with a data
// key wrapped under a master key that `rotate` replaces without touching the
// body.
//
// Header (all integers big-endian):
//
//   immutable part: authenticated by every chunk; never changes
//   0      6    magic "ENVEIL"
//   6      1    version 0x01
//   7      1    suite 0x01 = AES-256-GCM STREAM, HKDF-SHA256 key, committed
//   8      4    chunk size C: plaintext bytes per non-final chunk
//   12     16   file id (random)
//   28     2    context length n (0..1024)
//   30     n    context (stored in clear; the opener must name it)
//   30+n   32   commitment
//   key section: replaced by rotation
//   62+n   1    master key id length k (1..64)
//   63+n   k    master key id: [A-Za-z0-9._-], not starting with '.' or '-'
//   63+n+k 102  wrapped data key: a v1 record under the master key (key_wrap)
//               with context "enveil/v1/stream-dek" ‖ lp(immutable part) ‖
//               lp(master key id), lp(x) = u32be(length) ‖ x
//
// Body: chunks i = 0, 1, …, each ciphertext ‖ 16-byte tag. Every chunk but
// the last holds exactly C plaintext bytes; the last (final) holds 0..C-1, so
// a reader knows the final chunk from its size alone and an empty input is one
// empty final chunk. At most 2^32 chunks.
//
// Keys: the data key (DEK) is 32 random bytes per file.
//   HKDF-Expand-SHA256(PRK = DEK, "enveil/v1/stream" ‖ bytes 0..29+n, 71)
// (everything before the commitment; a range a..b includes both ends, as in
// record_format.h) gives the payload key (32), the nonce prefix (7) and the
// commitment (32), which the header carries and which is checked (constant
// time) before any chunk is opened. Chunk i is AES-256-GCM under the payload
// key with
//   nonce = prefix ‖ u32be(i) ‖ (0x01 for the final chunk, else 0x00)
//   AAD   = the immutable part
// (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, 2015):
// a reordered, dropped, duplicated or moved chunk fails, a stream cut at a
// chunk boundary lacks its final chunk and fails, and bytes after the final
// chunk fail. The wrapped key is outside the chunks' AAD, so re-wrapping it
// under another master key leaves every chunk valid; it is bound to the
// immutable part (file id, context, commitment) and to the master key id, so
// the id in the header is only trusted once the unwrap has succeeded.
//
// Everything here is stateless: the caller carries the header bytes and the
// 39-byte stream key (payload key ‖ nonce prefix) from one call to the next
// and wipes the key when done.
#ifndef ENVEIL_STREAM_FORMAT_H_
#define ENVEIL_STREAM_FORMAT_H_

#include <cstdint>

#include "bytes.h"
#include "key_wrap.h"
#include "status.h"

namespace enveil {

inline constexpr uint8_t kStreamMagic[6] = {'E', 'N', 'V', 'E', 'I', 'L'};
inline constexpr uint8_t kStreamVersion1 = 0x01;
inline constexpr uint8_t kStreamSuiteAes256GcmStream = 0x01;
inline constexpr size_t kStreamChunkSizeOffset = 8;
inline constexpr size_t kStreamFileIdOffset = 12;
inline constexpr size_t kStreamFileIdBytes = 16;
inline constexpr size_t kStreamContextLengthOffset = 28;
inline constexpr size_t kStreamContextOffset = 30;
inline constexpr size_t kStreamMaxContextBytes = 1024;
inline constexpr size_t kStreamCommitmentBytes = 32;
inline constexpr size_t kStreamMinKeyIdBytes = 1;
inline constexpr size_t kStreamMaxKeyIdBytes = 64;
inline constexpr size_t kStreamMasterKeyBytes = 32;
inline constexpr size_t kStreamDataKeyBytes = 32;
inline constexpr uint32_t kStreamMinChunkBytes = 16;
inline constexpr uint32_t kStreamMaxChunkBytes = uint32_t{1} << 24;  // 16 MiB
inline constexpr uint32_t kStreamDefaultChunkBytes = uint32_t{1} << 16;
inline constexpr size_t kStreamTagBytes = 16;
inline constexpr size_t kStreamNoncePrefixBytes = 7;
// Payload key ‖ nonce prefix: what every chunk call takes.
inline constexpr size_t kStreamKeyBytes = 32 + kStreamNoncePrefixBytes;  // 39
inline constexpr uint64_t kStreamMaxChunkIndex = UINT32_MAX;

// Size of the immutable part for a context of `context_bytes`.
constexpr size_t stream_immutable_bytes(size_t context_bytes) {
  return kStreamContextOffset + context_bytes + kStreamCommitmentBytes;
}
// Size of a whole header.
constexpr size_t stream_header_bytes(size_t context_bytes,
                                     size_t key_id_bytes) {
  return stream_immutable_bytes(context_bytes) + 1 + key_id_bytes +
         kWrappedKeyBytes;
}
inline constexpr size_t kStreamMaxHeaderBytes =
    stream_header_bytes(kStreamMaxContextBytes, kStreamMaxKeyIdBytes);

// A parsed header: views into the bytes given to stream_parse_header().
struct StreamHeader {
  uint32_t chunk_bytes = 0;
  ByteView immutable;  // bytes 0..61+n: the chunks' AAD
  ByteView file_id;
  ByteView context;
  ByteView commitment;
  ByteView key_id;
  ByteView wrapped_key;
  size_t size = 0;  // of the whole header; the body starts here
};

// Whether `key_id` is a valid master key id (1..64 bytes of A-Z a-z 0-9 . _
// -, not starting with '.' or '-': safe as a file name and in messages).
bool stream_key_id_valid(ByteView key_id) noexcept;

// Strictly parses the header at the start of `bytes` (which may go on with the
// body). Errors: kAuthFailed for anything that is not a v1 header: other
// magic, version or suite, a chunk size out of range, an oversized context, an
// invalid key id, or fewer bytes than the header needs.
Result<StreamHeader> stream_parse_header(ByteView bytes) noexcept;

// Starts a stream under `master_key` (32 bytes) named `key_id`: draws a data
// key and a file id, writes the header to `header_out` (exactly
// stream_header_bytes(context, key_id) bytes) and the stream key to `key_out`
// (kStreamKeyBytes). Errors: kInvalidArgument for a wrong size, a chunk size
// outside [kStreamMinChunkBytes, kStreamMaxChunkBytes], a context over 1024
// bytes or an invalid key id; kUnsupported without randomness.
Status stream_seal_begin(ByteView master_key, ByteView key_id,
                         ByteView context, uint32_t chunk_bytes,
                         MutableByteView header_out,
                         MutableByteView key_out) noexcept;

// HAZARD: as stream_seal_begin with the data key (32 bytes) and file id (16)
// chosen by the caller. Reusing a (data key, file id) pair for two plaintexts
// repeats GCM nonces. For known-answer tests only.
Status stream_seal_begin_with(ByteView master_key, ByteView key_id,
                              ByteView context, uint32_t chunk_bytes,
                              ByteView data_key, ByteView file_id,
                              MutableByteView header_out,
                              MutableByteView key_out) noexcept;

// Unwraps the data key of `header` (exactly one header) with `master_key`,
// named `key_id`, checks the commitment and writes the stream key to `key_out`
// (kStreamKeyBytes). Errors: kInvalidArgument for wrong sizes or an invalid
// key_id; kAuthFailed for a malformed header; kUnknownKey when the header
// names another master key id; kAuthFailed when the wrapped key does not
// unwrap or the commitment differs (the header was altered, or `master_key`
// is another key under the same id). key_out is wiped on failure.
Status stream_open_begin(ByteView master_key, ByteView key_id, ByteView header,
                         MutableByteView key_out) noexcept;

// Rotation: the same header with its data key re-wrapped from `old_key`
// (named old_id) to `new_key` (named new_id), written to `header_out`
// (exactly stream_header_bytes(context, new_id) bytes). The immutable part and
// the data key are unchanged, so the body stays valid as it is; the data key
// never leaves this function. Errors: as stream_open_begin for the old key;
// kInvalidArgument for a wrong out size or an invalid new_id; kUnsupported
// without randomness.
Status stream_rewrap_header(ByteView old_key, ByteView old_id,
                            ByteView new_key, ByteView new_id, ByteView header,
                            MutableByteView header_out) noexcept;

// Seals chunk `index` of the stream whose header is `header` (exactly one
// header) under `stream_key`. A non-final chunk takes exactly the header's
// chunk size of plaintext, the final one fewer bytes (possibly none). `out`
// is exactly plaintext.size() + 16 bytes. Errors: kInvalidArgument for any
// other size, an index over 2^32-1, or a malformed header.
Status stream_seal_chunk(ByteView stream_key, ByteView header, uint64_t index,
                         bool is_final, ByteView plaintext,
                         MutableByteView out) noexcept;

// Opens chunk `index` into `out` (exactly sealed.size() - 16 bytes) after its
// tag verifies. Errors: kAuthFailed when the chunk does not verify, including
// a size that its position does not allow (non-final: chunk size + 16; final:
// 16 to chunk size + 15; fewer than 16 bytes whatever `out` is) and an index
// over 2^32-1; kInvalidArgument for a wrong stream key or out size or a
// malformed header. On any failure `out` is wiped (whatever its size): no
// unauthenticated plaintext is released.
Status stream_open_chunk(ByteView stream_key, ByteView header, uint64_t index,
                         bool is_final, ByteView sealed,
                         MutableByteView out) noexcept;

}  // namespace enveil

#endif  // ENVEIL_STREAM_FORMAT_H_
