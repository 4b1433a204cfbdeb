// Embind glue for the stream format (src/stream_format.h), used by the
// `enveil` command line: marshalling only, in the conventions of
// bindings.cc ((pointer, length) pairs into memory the JS side allocated,
// wipes and frees; 0 or -ErrorCode returned).
#include <emscripten/bind.h>
#include <emscripten/stack.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "marshal.h"
#include "stream_format.h"

namespace enveil {
namespace {

using emscripten::val;

using marshal::in;
using marshal::LargeBurn;
using marshal::out;
using marshal::rc;

// JS numbers are doubles. An integer from 0 to 2^53 arrives exactly and goes
// to the core, which refuses one past kStreamMaxChunkIndex; anything else (a
// fraction, a negative, NaN, an infinity) names no chunk and is refused here:
// converting it would truncate 0.9 to chunk 0.
std::optional<uint64_t> index_arg(double index) {
  if (!(index >= 0 && index <= 9007199254740992.0) ||
      std::trunc(index) != index) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(index);
}

int not_an_index() { return rc(Status(ErrorCode::kInvalidArgument)); }

// Output: header ‖ stream key.
int streamSealBegin(uintptr_t mk, size_t mk_len, uintptr_t id, size_t id_len,
                    uintptr_t ctx, size_t ctx_len, uint32_t chunk_bytes,
                    uintptr_t dst, size_t dst_len) {
  LargeBurn burn;
  if (dst_len < kStreamKeyBytes) return rc(Status(ErrorCode::kInvalidArgument));
  const size_t header_len = dst_len - kStreamKeyBytes;
  return rc(stream_seal_begin(in(mk, mk_len), in(id, id_len), in(ctx, ctx_len),
                              chunk_bytes, out(dst, header_len),
                              out(dst + header_len, kStreamKeyBytes)));
}

int streamOpenBegin(uintptr_t mk, size_t mk_len, uintptr_t id, size_t id_len,
                    uintptr_t header, size_t header_len, uintptr_t dst,
                    size_t dst_len) {
  LargeBurn burn;
  return rc(stream_open_begin(in(mk, mk_len), in(id, id_len),
                              in(header, header_len), out(dst, dst_len)));
}

int streamRewrapHeader(uintptr_t old_mk, size_t old_mk_len, uintptr_t old_id,
                       size_t old_id_len, uintptr_t new_mk, size_t new_mk_len,
                       uintptr_t new_id, size_t new_id_len, uintptr_t header,
                       size_t header_len, uintptr_t dst, size_t dst_len) {
  LargeBurn burn;
  return rc(stream_rewrap_header(in(old_mk, old_mk_len), in(old_id, old_id_len),
                                 in(new_mk, new_mk_len), in(new_id, new_id_len),
                                 in(header, header_len), out(dst, dst_len)));
}

int streamSealChunk(uintptr_t key, size_t key_len, uintptr_t header,
                    size_t header_len, uintptr_t pt, size_t pt_len,
                    double index, bool is_final, uintptr_t dst,
                    size_t dst_len) {
  LargeBurn burn;
  const std::optional<uint64_t> i = index_arg(index);
  if (!i) return not_an_index();
  return rc(stream_seal_chunk(in(key, key_len), in(header, header_len), *i,
                              is_final, in(pt, pt_len), out(dst, dst_len)));
}

int streamOpenChunk(uintptr_t key, size_t key_len, uintptr_t header,
                    size_t header_len, uintptr_t sealed, size_t sealed_len,
                    double index, bool is_final, uintptr_t dst,
                    size_t dst_len) {
  LargeBurn burn;
  const std::optional<uint64_t> i = index_arg(index);
  if (!i) return not_an_index();
  return rc(stream_open_chunk(in(key, key_len), in(header, header_len), *i,
                              is_final, in(sealed, sealed_len),
                              out(dst, dst_len)));
}

// The parsed header as { size, immutableSize, chunkBytes, fileId, context,
// keyId } (byte fields as fresh Uint8Arrays), or -ErrorCode.
val copy_out(ByteView b) {
  return val::global("Uint8Array")
      .new_(emscripten::typed_memory_view(b.size(), b.data()))
      .call<val>("slice");
}

val streamParseHeader(uintptr_t bytes, size_t bytes_len) {
  const Result<StreamHeader> h = stream_parse_header(in(bytes, bytes_len));
  if (!h.ok()) return val(rc(h.status()));
  val o = val::object();
  o.set("size", static_cast<double>(h.value().size));
  o.set("immutableSize", static_cast<double>(h.value().immutable.size()));
  o.set("chunkBytes", h.value().chunk_bytes);
  o.set("fileId", copy_out(h.value().file_id));
  o.set("context", copy_out(h.value().context));
  o.set("keyId", copy_out(h.value().key_id));
  return o;
}

int streamHeaderBytes(size_t context_len, size_t key_id_len) {
  return static_cast<int>(stream_header_bytes(context_len, key_id_len));
}

bool streamKeyIdValid(uintptr_t id, size_t id_len) {
  return stream_key_id_valid(in(id, id_len));
}

}  // namespace

EMSCRIPTEN_BINDINGS(enveil_stream) {
  using emscripten::constant;
  using emscripten::function;
  constant("STREAM_KEY_BYTES", kStreamKeyBytes);
  constant("STREAM_TAG_BYTES", kStreamTagBytes);
  constant("STREAM_MASTER_KEY_BYTES", kStreamMasterKeyBytes);
  constant("STREAM_MAX_HEADER_BYTES", kStreamMaxHeaderBytes);
  constant("STREAM_MAX_CONTEXT_BYTES", kStreamMaxContextBytes);
  constant("STREAM_MAX_KEY_ID_BYTES", kStreamMaxKeyIdBytes);
  constant("STREAM_MIN_CHUNK_BYTES", kStreamMinChunkBytes);
  constant("STREAM_MAX_CHUNK_BYTES", kStreamMaxChunkBytes);
  constant("STREAM_DEFAULT_CHUNK_BYTES", kStreamDefaultChunkBytes);
  constant("STREAM_MAX_CHUNK_INDEX", static_cast<double>(kStreamMaxChunkIndex));
  constant("STREAM_VERSION", kStreamVersion1);
  constant("STREAM_SUITE_AES_256_GCM", kStreamSuiteAes256GcmStream);

  function("streamSealBegin", &streamSealBegin);
  function("streamOpenBegin", &streamOpenBegin);
  function("streamRewrapHeader", &streamRewrapHeader);
  function("streamSealChunk", &streamSealChunk);
  function("streamOpenChunk", &streamOpenChunk);
  function("streamParseHeader", &streamParseHeader);
  function("streamHeaderBytes", &streamHeaderBytes);
  function("streamKeyIdValid", &streamKeyIdValid);
}

}  // namespace enveil
