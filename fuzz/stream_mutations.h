// The input of fuzz_stream_open: its mode byte, the stream its structured mode
// seals, and the mutations made to that stream. The target reads it;
// make_seeds writes it.
#ifndef ENVEIL_FUZZ_STREAM_MUTATIONS_H_
#define ENVEIL_FUZZ_STREAM_MUTATIONS_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "fuzz_common.h"
#include "stream_model.h"

namespace enveil_fuzz {

// Input byte 0: bit 0 clear = raw bytes (bit 1: clear = a file split as a
// reader splits it, set = an explicit split), bit 0 set = structured.
inline constexpr uint8_t kStreamModeRawFile = 0x00;
inline constexpr uint8_t kStreamModeRawSplit = 0x02;
inline constexpr uint8_t kStreamModeStructured = 0x01;

// Structured mode, after the mode byte: the stream to seal.
struct StreamInput {
  // Bit 0: rotation keeps the key id (else kStreamKeyId2); bit 1: rotation
  // in place when the sizes allow; bit 2: the key is wrapped with
  // ChaCha20-Poly1305 (else AES-256-GCM).
  uint8_t flags = 0;
  uint8_t chunk_selector = 0;  // chunk size 16 + v % 241
  uint8_t file_id[16] = {};    // zero-padded when the input ends
  uint8_t wrap_salt[16] = {};
  uint8_t rewrap_salt[16] = {};
  ByteView key_id;     // u8 length % 65
  ByteView context;    // u16 length % 1025
  ByteView plaintext;  // u16 length % 4097

  uint32_t chunk_bytes() const { return 16 + chunk_selector % 241; }

  static StreamInput read(Reader& r) {
    StreamInput in;
    in.flags = r.u8();
    in.chunk_selector = r.u8();
    for (uint8_t* dst : {in.file_id, in.wrap_salt, in.rewrap_salt}) {
      const ByteView bytes = r.bytes(16);
      if (!bytes.empty()) std::memcpy(dst, bytes.data(), bytes.size());
    }
    in.key_id = r.bytes(r.u8() % 65);
    in.context = r.bytes(r.u16() % 1025);
    in.plaintext = r.bytes(r.u16() % 4097);
    return in;
  }
  void write(Writer& w) const {
    w.u8(flags).u8(chunk_selector);
    w.bytes(ByteView(file_id)).bytes(ByteView(wrap_salt)).bytes(ByteView(rewrap_salt));
    w.lp8(key_id).u16(static_cast<uint16_t>(context.size())).bytes(context);
    w.u16(static_cast<uint16_t>(plaintext.size())).bytes(plaintext);
  }
};

// Then up to 64 mutations, each op (mod kSMutCount), u8 chunk, u16 pos, u8
// value. Header ops act on the stream's header and on the re-wrapped header
// alike.
enum StreamMutation : uint8_t {
  kSMutHeaderXor = 0,       // header[pos] ^= value (0 means 1)
  kSMutHeaderSet = 1,       // header[pos] = value (may be a no-op)
  kSMutHeaderTruncate = 2,  // keep pos % (size + 1) bytes
  kSMutHeaderInsert = 3,    // insert value at pos % (size + 1)
  kSMutHeaderErase = 4,     // erase header[pos]
  kSMutHeaderSwap = 5,      // swap header[pos] and header[pos + value]
  kSMutChunkXor = 6,        // chunks[chunk][pos] ^= value (0 means 1)
  kSMutChunkTruncate = 7,   // keep pos % (size + 1) bytes of chunks[chunk]
  kSMutChunkInsert = 8,     // insert value into chunks[chunk] at pos
  kSMutChunkErase = 9,      // erase chunks[chunk][pos]
  kSMutChunkDrop = 10,      // erase chunks[chunk]
  kSMutChunkDup = 11,       // insert a copy of chunks[chunk] at pos % (n + 1)
  kSMutChunkSwap = 12,      // swap chunks[chunk] and chunks[pos]
  kSMutChunkMove = 13,      // move chunks[chunk] to position pos
  kSMutCut = 14,            // keep the first chunk % (n + 1) chunks
  kSMutFlipFinal = 15,      // open chunks[chunk] with the other final flag
  kSMutAppend = 16,         // append value to the last chunk
  kSMutAppendChunk = 17,    // append a chunk of pos % 300 bytes of value
  kSMutShift = 18,          // move pos % 32 bytes from the end of chunks[chunk]
                            // to the start of the next (the file is unchanged)
  kSMutCount = 19,
};
inline constexpr size_t kMaxStreamMutations = 64;

inline void mutate_header(Bytes& h, uint8_t op, uint16_t pos, uint8_t value) {
  switch (op) {
    case kSMutHeaderXor: edit_xor(h, pos, value); break;
    case kSMutHeaderSet: edit_set(h, pos, value); break;
    case kSMutHeaderTruncate: edit_truncate(h, pos); break;
    case kSMutHeaderInsert: edit_insert(h, pos, value); break;
    case kSMutHeaderErase: edit_erase(h, pos); break;
    case kSMutHeaderSwap: edit_swap(h, pos, size_t{pos} + value); break;
  }
}

inline void mutate_chunks(std::vector<model::Chunk>& c, uint8_t op, uint8_t which,
                          uint16_t pos, uint8_t value) {
  if (op == kSMutAppendChunk) {
    c.push_back(model::Chunk{Bytes(pos % 300, value)});
    return;
  }
  if (c.empty()) return;
  const size_t n = c.size();
  model::Chunk& ch = c[which % n];
  Bytes& d = ch.data;
  switch (op) {
    case kSMutChunkXor: edit_xor(d, pos, value); break;
    case kSMutChunkTruncate: edit_truncate(d, pos); break;
    case kSMutChunkInsert: edit_insert(d, pos, value); break;
    case kSMutChunkErase: edit_erase(d, pos); break;
    case kSMutChunkDrop:
      c.erase(c.begin() + static_cast<long>(which % n));
      break;
    case kSMutChunkDup:
      if (n < model::kMaxChunks) {
        const model::Chunk copy = ch;
        c.insert(c.begin() + static_cast<long>(pos % (n + 1)), copy);
      }
      break;
    case kSMutChunkSwap:
      std::swap(ch, c[pos % n]);
      break;
    case kSMutChunkMove: {
      const model::Chunk moved = ch;
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

// One mutation as the input holds it.
struct StreamEdit {
  uint8_t op = 0;  // a StreamMutation
  uint8_t chunk = 0;
  uint16_t pos = 0;
  uint8_t value = 0;

  static StreamEdit read(Reader& r) {
    StreamEdit e;
    e.op = static_cast<uint8_t>(r.u8() % kSMutCount);
    e.chunk = r.u8();
    e.pos = r.u16();
    e.value = r.u8();
    return e;
  }
  void write(Writer& w) const { w.u8(op).u8(chunk).u16(pos).u8(value); }

  void apply(Bytes& header, Bytes& rewrapped, std::vector<model::Chunk>& chunks) const {
    if (op <= kSMutHeaderSwap) {
      mutate_header(header, op, pos, value);
      mutate_header(rewrapped, op, pos, value);
    } else {
      mutate_chunks(chunks, op, chunk, pos, value);
    }
  }
};

}  // namespace enveil_fuzz

#endif  // ENVEIL_FUZZ_STREAM_MUTATIONS_H_
