// Stream format v1: parsing and opening arbitrary bytes, and tampering with
// valid streams.
//
// Every header is checked against an independent model of the documented
// layout (stream_model.h: magic "ENVEIL", version 1, suite 1, chunk size
// 16..2^24, context length <= 1024, key id 1..64 bytes of [A-Za-z0-9._-] not
// starting with '.' or '-', 62 + n + 1 + k + 102 bytes).
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
// chunk, u16 pos, value; see stream_mutations.h). The stream is sealed under
// the fixed master key and the fuzz key id (the fixed one when that is
// invalid, after checking that sealing refuses it) with
// stream_seal_begin_with and a fixed data key; its wrapped key is re-sealed
// with the fuzz salt so that the whole input is deterministic. Invariants:
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
//
// The checks themselves are in stream_oracle.h; this file only reads the
// input and calls them.
#include <cstdint>
#include <vector>

#include "fuzz_common.h"
#include "stream_model.h"
#include "stream_mutations.h"
#include "stream_oracle.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

void fuzz_raw_file(ByteView file) {
  const model::Layout m = check_parse(file);
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
  model::FileChunks cut(file, m);
  for (uint64_t index = 0; index < model::kMaxChunks; ++index) {
    bool is_final;
    const ByteView sealed = cut.next(is_final);
    check_raw_chunk(key, real, header, index, is_final, sealed);
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
    if (flags & 2) index += model::kPastMaxIndex;
    check_raw_chunk(key, real, header, index, flags & 1, sealed);
  }
}

void fuzz_structured(Reader& r) {
  const StreamInput in = StreamInput::read(r);
  Original o = seal_checked(in);
  rewrap_checked(o, in);
  Bytes header = o.header, rewrapped = o.rewrapped;
  std::vector<model::Chunk> chunks = o.chunks;
  for (size_t k = 0; !r.empty() && k < kMaxStreamMutations; ++k) {
    StreamEdit::read(r).apply(header, rewrapped, chunks);
  }
  check_mutated(o, header, rewrapped, chunks);
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
