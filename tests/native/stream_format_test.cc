#include "stream_format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "aes_gcm.h"
#include "hkdf.h"
#include "hmac.h"

namespace enveil {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

const Bytes kMasterA(32, 0xA1);
const Bytes kMasterB(32, 0xB2);
const Bytes kIdA = bytes("key-a");
const Bytes kIdB = bytes("key-b.2");
constexpr uint32_t kChunk = 16;  // small, so short inputs span many chunks

struct Sealed {
  Bytes header;
  std::vector<Bytes> chunks;
  Bytes file() const {
    Bytes f = header;
    for (const Bytes& c : chunks) f.insert(f.end(), c.begin(), c.end());
    return f;
  }
};

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

// Seals `plaintext` as the command line does: full chunks, then a final
// chunk of the remaining 0..C-1 bytes.
Sealed seal(ByteView plaintext, const Bytes& context = bytes("ctx"),
            uint32_t chunk = kChunk, const Bytes& master = kMasterA,
            const Bytes& id = kIdA) {
  Sealed s;
  s.header.resize(stream_header_bytes(context.size(), id.size()));
  Bytes key(kStreamKeyBytes);
  EXPECT_TRUE(stream_seal_begin(master, id, context, chunk, s.header, key).ok());
  size_t at = 0;
  uint64_t index = 0;
  while (plaintext.size() - at >= chunk) {
    Bytes c(chunk + kStreamTagBytes);
    EXPECT_TRUE(stream_seal_chunk(key, s.header, index++, false,
                                  plaintext.subspan(at, chunk), c)
                    .ok());
    s.chunks.push_back(c);
    at += chunk;
  }
  Bytes last(plaintext.size() - at + kStreamTagBytes);
  EXPECT_TRUE(stream_seal_chunk(key, s.header, index, true,
                                plaintext.subspan(at), last)
                  .ok());
  s.chunks.push_back(last);
  return s;
}

// Opens a whole file as the command line does: header, then records of
// C + 16 bytes, the shorter last one final. nullopt on any failure, with the
// code of the first failure in *code.
std::optional<Bytes> open_file(ByteView file, ErrorCode* code = nullptr,
                               const Bytes& master = kMasterA,
                               const Bytes& id = kIdA) {
  auto fail = [&](Status s) {
    if (code) *code = s.code();
    return std::nullopt;
  };
  Result<StreamHeader> h = stream_parse_header(file);
  if (!h.ok()) return fail(h.status());
  const ByteView header = file.first(h.value().size);
  Bytes key(kStreamKeyBytes);
  const Status begun = stream_open_begin(master, id, header, key);
  if (!begun.ok()) return fail(begun);
  const size_t record = h.value().chunk_bytes + kStreamTagBytes;
  Bytes plaintext;
  size_t at = header.size();
  for (uint64_t index = 0;; ++index) {
    const size_t n = std::min(record, file.size() - at);
    const bool is_final = n < record;
    Bytes out(n >= kStreamTagBytes ? n - kStreamTagBytes : 0, 0xEE);
    const Status s = stream_open_chunk(key, header, index, is_final,
                                       file.subspan(at, n), out);
    if (!s.ok()) {
      EXPECT_TRUE(std::all_of(out.begin(), out.end(),
                              [](uint8_t b) { return b == 0; }))
          << "a failed chunk releases nothing";
      return fail(s);
    }
    plaintext.insert(plaintext.end(), out.begin(), out.end());
    at += n;
    if (is_final) return plaintext;
  }
}

TEST(StreamFormat, RoundTripsAroundChunkBoundaries) {
  for (size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 100, 1000}) {
    const Bytes pt = pattern(n);
    const Sealed s = seal(pt);
    EXPECT_EQ(s.chunks.size(), n / kChunk + 1) << n;
    EXPECT_EQ(s.chunks.back().size(), n % kChunk + kStreamTagBytes) << n;
    const std::optional<Bytes> opened = open_file(s.file());
    ASSERT_TRUE(opened.has_value()) << n;
    EXPECT_EQ(*opened, pt) << n;
  }
}

TEST(StreamFormat, HeaderLayoutIsAsDocumented) {
  const Bytes context = bytes("prod/db");
  const Sealed s = seal(Bytes(), context, 4096);
  const Bytes& h = s.header;
  ASSERT_EQ(h.size(), 62 + context.size() + 1 + kIdA.size() + 102);
  EXPECT_EQ(Bytes(h.begin(), h.begin() + 6), bytes("ENVEIL"));
  EXPECT_EQ(h[6], 1);
  EXPECT_EQ(h[7], 1);
  EXPECT_EQ(load_be32(h.data() + 8), 4096u);
  EXPECT_EQ(size_t{h[28]} << 8 | h[29], context.size());
  EXPECT_EQ(Bytes(h.begin() + 30, h.begin() + 30 + 7), context);
  EXPECT_EQ(h[69], kIdA.size());
  EXPECT_EQ(Bytes(h.begin() + 70, h.begin() + 70 + 5), kIdA);
  const Result<StreamHeader> p = stream_parse_header(h);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value().size, h.size());
  EXPECT_EQ(p.value().immutable.size(), 69u);
  EXPECT_EQ(p.value().wrapped_key.size(), kWrappedKeyBytes);
  EXPECT_EQ(p.value().wrapped_key.data(), h.data() + 75);
  // Two seals of the same input differ (random data key and file id).
  EXPECT_NE(seal(Bytes(), context, 4096).header, h);
}

// Recomputes the documented construction with the primitives directly, so
// the format cannot drift from its specification unnoticed.
TEST(StreamFormat, ChunksAreTheDocumentedStreamConstruction) {
  const Bytes dek(32, 0x42), file_id(16, 0x24), context = bytes("c");
  Bytes header(stream_header_bytes(context.size(), kIdA.size()));
  Bytes key(kStreamKeyBytes);
  ASSERT_TRUE(stream_seal_begin_with(kMasterA, kIdA, context, kChunk, dek,
                                     file_id, header, key)
                  .ok());
  const size_t pre = 30 + context.size();
  Bytes okm(71);
  ASSERT_TRUE(hkdf_sha256_expand(HmacSha256Key(dek),
                                 {ByteView(bytes("enveil/v1/stream")),
                                  ByteView(header.data(), pre)},
                                 okm)
                  .ok());
  EXPECT_EQ(Bytes(okm.begin(), okm.begin() + 39), key);
  EXPECT_EQ(Bytes(okm.begin() + 39, okm.end()),
            Bytes(header.begin() + pre, header.begin() + pre + 32))
      << "commitment";
  const ByteView immutable(header.data(), pre + 32);
  const Bytes pt = pattern(kChunk);
  for (bool is_final : {false, true}) {
    const ByteView input = is_final ? ByteView(pt).first(5) : ByteView(pt);
    Bytes nonce(okm.begin() + 32, okm.begin() + 39);
    const Bytes index_and_flag = {0, 0, 0, 7, static_cast<uint8_t>(is_final)};
    nonce.insert(nonce.end(), index_and_flag.begin(), index_and_flag.end());
    Bytes expected(input.size() + 16), got(input.size() + 16);
    ASSERT_TRUE(aes256gcm_seal(ByteView(okm).first(32), nonce, input,
                               immutable, expected)
                    .ok());
    ASSERT_TRUE(stream_seal_chunk(key, header, 7, is_final, input, got).ok());
    EXPECT_EQ(got, expected);
  }
  // The data key is the one wrapped in the header.
  Bytes unwrapped(32);
  Bytes wrap_context = bytes("enveil/v1/stream-dek");
  const Bytes lp_imm = {0, 0, 0, static_cast<uint8_t>(immutable.size())};
  wrap_context.insert(wrap_context.end(), lp_imm.begin(), lp_imm.end());
  wrap_context.insert(wrap_context.end(), immutable.begin(), immutable.end());
  const Bytes lp_id = {0, 0, 0, static_cast<uint8_t>(kIdA.size())};
  wrap_context.insert(wrap_context.end(), lp_id.begin(), lp_id.end());
  wrap_context.insert(wrap_context.end(), kIdA.begin(), kIdA.end());
  ASSERT_TRUE(unwrap_key(HmacSha256Key(kMasterA), wrap_context,
                         ByteView(header).subspan(immutable.size() + 1 +
                                                  kIdA.size()),
                         unwrapped)
                  .ok());
  EXPECT_EQ(unwrapped, dek);
}

TEST(StreamFormat, EveryBitFlipAnywhereFails) {
  const Sealed s = seal(pattern(40));
  const Bytes file = s.file();
  const size_t key_id_length_at = 62 + 3;
  for (size_t i = 0; i < file.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = file;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      ErrorCode code = ErrorCode::kOk;
      ASSERT_FALSE(open_file(bad, &code).has_value()) << i << "/" << bit;
      const bool moves_key_id = i == 28 || i == 29 ||  // context length
                                (i >= key_id_length_at &&
                                 i <= key_id_length_at + kIdA.size());
      if (moves_key_id) {
        // The key id names another key, or is no valid id at all.
        EXPECT_TRUE(code == ErrorCode::kUnknownKey ||
                    code == ErrorCode::kAuthFailed) << i;
      } else {
        EXPECT_EQ(code, ErrorCode::kAuthFailed) << i << "/" << bit;
      }
    }
  }
}

TEST(StreamFormat, EveryTruncationAndExtensionFails) {
  for (size_t n : {0, 16, 32, 40}) {
    const Bytes file = seal(pattern(n)).file();
    for (size_t len = 0; len < file.size(); ++len) {
      EXPECT_FALSE(open_file(ByteView(file).first(len)).has_value())
          << n << " cut to " << len;
    }
    for (size_t extra : {1, 15, 16, 17, 32, 48}) {
      Bytes longer = file;
      longer.insert(longer.end(), extra, 0);
      EXPECT_FALSE(open_file(longer).has_value()) << n << " + " << extra;
    }
  }
}

TEST(StreamFormat, AStreamCutAtAChunkBoundaryFails) {
  const Sealed s = seal(pattern(3 * kChunk + 4));
  ASSERT_EQ(s.chunks.size(), 4u);
  for (size_t keep = 0; keep < s.chunks.size(); ++keep) {
    Sealed cut = s;
    cut.chunks.resize(keep);
    ErrorCode code = ErrorCode::kOk;
    EXPECT_FALSE(open_file(cut.file(), &code).has_value()) << keep;
    EXPECT_EQ(code, ErrorCode::kAuthFailed);
  }
}

TEST(StreamFormat, ReorderedDuplicatedOrForeignChunksFail) {
  const Sealed s = seal(pattern(3 * kChunk + 4));
  Sealed swapped = s;
  std::swap(swapped.chunks[0], swapped.chunks[1]);
  EXPECT_FALSE(open_file(swapped.file()).has_value());
  Sealed duplicated = s;
  duplicated.chunks[1] = duplicated.chunks[0];
  EXPECT_FALSE(open_file(duplicated.file()).has_value());
  Sealed dropped = s;
  dropped.chunks.erase(dropped.chunks.begin() + 1);
  EXPECT_FALSE(open_file(dropped.file()).has_value());
  // A chunk from another file sealed under the same master key and context.
  const Sealed other = seal(pattern(3 * kChunk + 4));
  Sealed mixed = s;
  mixed.chunks[2] = other.chunks[2];
  EXPECT_FALSE(open_file(mixed.file()).has_value());
  // Another file's header in front of this body.
  Sealed rehead = s;
  rehead.header = other.header;
  EXPECT_FALSE(open_file(rehead.file()).has_value());
}

// Finality is enforced twice: by size (a full chunk is never final, a short
// one always is) and by the flag byte in the nonce, which
// ChunksAreTheDocumentedStreamConstruction pins. Either alone rejects every
// case below.
TEST(StreamFormat, OnlyAShortChunkAtTheEndIsFinal) {
  const Sealed s = seal(pattern(2 * kChunk));  // full, full, empty final
  ASSERT_EQ(s.chunks.size(), 3u);
  const Result<StreamHeader> h = stream_parse_header(s.header);
  ASSERT_TRUE(h.ok());
  Bytes key(kStreamKeyBytes), out(kChunk), none;
  ASSERT_TRUE(stream_open_begin(kMasterA, kIdA, s.header, key).ok());
  ASSERT_TRUE(stream_open_chunk(key, s.header, 0, false, s.chunks[0], out).ok());
  // The empty final chunk is only valid as final, at its index.
  EXPECT_TRUE(stream_open_chunk(key, s.header, 2, true, s.chunks[2], none).ok());
  EXPECT_EQ(stream_open_chunk(key, s.header, 1, true, s.chunks[2], none).code(),
            ErrorCode::kAuthFailed);
  EXPECT_EQ(stream_open_chunk(key, s.header, 2, false, s.chunks[2], none).code(),
            ErrorCode::kAuthFailed);
  // A full-size chunk is never final: a stream cannot end on one.
  EXPECT_EQ(stream_open_chunk(key, s.header, 1, true, s.chunks[1], out).code(),
            ErrorCode::kAuthFailed);
  EXPECT_EQ(out, Bytes(kChunk, 0)) << "wiped";
  // Sealing refuses sizes that do not fit the flag.
  Bytes full(kChunk + kStreamTagBytes), part(5 + kStreamTagBytes);
  EXPECT_EQ(stream_seal_chunk(key, s.header, 0, true, pattern(kChunk), full).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(stream_seal_chunk(key, s.header, 0, false, pattern(5), part).code(),
            ErrorCode::kInvalidArgument);
  // Extension after the final chunk: a chunk sealed as final at index 2 and
  // followed by more is never accepted, since the reader only takes a short
  // chunk as final and a full one is never final.
  Sealed extended = s;
  extended.chunks.push_back(s.chunks[2]);
  EXPECT_FALSE(open_file(extended.file()).has_value());
}

TEST(StreamFormat, ChunkIndexesStopAt2To32) {
  const Sealed s = seal(Bytes());
  Bytes key(kStreamKeyBytes), out(kStreamTagBytes), none;
  ASSERT_TRUE(stream_open_begin(kMasterA, kIdA, s.header, key).ok());
  EXPECT_EQ(stream_seal_chunk(key, s.header, kStreamMaxChunkIndex + 1, true,
                              Bytes(), out).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(stream_seal_chunk(key, s.header, kStreamMaxChunkIndex, true,
                                Bytes(), out).ok());
  EXPECT_TRUE(stream_open_chunk(key, s.header, kStreamMaxChunkIndex, true, out,
                                none).ok());
  // Index 2^32 would reuse index 0's nonce: refused, not wrapped around.
  EXPECT_EQ(stream_open_chunk(key, s.header, kStreamMaxChunkIndex + 1, true,
                              s.chunks[0], none).code(),
            ErrorCode::kAuthFailed);
}

TEST(StreamFormat, OpensOnlyWithTheNamedKeyAndNeverTrustsTheIdAlone) {
  const Sealed s = seal(pattern(20));
  ErrorCode code = ErrorCode::kOk;
  EXPECT_FALSE(open_file(s.file(), &code, kMasterB, kIdB).has_value());
  EXPECT_EQ(code, ErrorCode::kUnknownKey) << "names another key id";
  EXPECT_FALSE(open_file(s.file(), &code, kMasterB, kIdA).has_value());
  EXPECT_EQ(code, ErrorCode::kAuthFailed) << "another key under the same id";
  // Relabel the header to another id of the same master key: the id is
  // bound into the wrap, so this fails although the key is right.
  Bytes relabelled = s.file();
  relabelled[62 + 3 + 1 + 4] = 'b';  // "key-a" -> "key-b"
  EXPECT_FALSE(open_file(relabelled, &code, kMasterA, bytes("key-b")).has_value());
  EXPECT_EQ(code, ErrorCode::kAuthFailed);
}

TEST(StreamFormat, RewrappingKeepsTheBodyAndMovesTheFileToTheNewKey) {
  const Bytes pt = pattern(50);
  const Sealed s = seal(pt);
  const Result<StreamHeader> h = stream_parse_header(s.header);
  ASSERT_TRUE(h.ok());
  Bytes rewrapped(stream_header_bytes(h.value().context.size(), kIdB.size()));
  ASSERT_TRUE(stream_rewrap_header(kMasterA, kIdA, kMasterB, kIdB, s.header,
                                   rewrapped).ok());
  const size_t immutable = h.value().immutable.size();
  EXPECT_TRUE(std::equal(s.header.begin(), s.header.begin() + immutable,
                         rewrapped.begin()));
  Sealed rotated = s;
  rotated.header = rewrapped;
  const std::optional<Bytes> opened =
      open_file(rotated.file(), nullptr, kMasterB, kIdB);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, pt);
  ErrorCode code = ErrorCode::kOk;
  EXPECT_FALSE(open_file(rotated.file(), &code, kMasterA, kIdA).has_value());
  EXPECT_EQ(code, ErrorCode::kUnknownKey);
  // Rewrapping needs the old key, under its id.
  Bytes again(rewrapped.size());
  EXPECT_EQ(stream_rewrap_header(kMasterB, kIdA, kMasterB, kIdB, s.header,
                                 again).code(),
            ErrorCode::kAuthFailed);
  EXPECT_EQ(stream_rewrap_header(kMasterA, kIdB, kMasterB, kIdB, s.header,
                                 again).code(),
            ErrorCode::kUnknownKey);
  Bytes wrong_size(rewrapped.size() + 1);
  EXPECT_EQ(stream_rewrap_header(kMasterA, kIdA, kMasterB, kIdB, s.header,
                                 wrong_size).code(),
            ErrorCode::kInvalidArgument);
}

TEST(StreamFormat, ParsingRejectsEveryMalformedHeader) {
  const Sealed s = seal(Bytes(), bytes("ctx"));
  const Bytes& good = s.header;
  ASSERT_TRUE(stream_parse_header(good).ok());
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(stream_parse_header(ByteView(good).first(len)).ok()) << len;
  }
  auto rejects = [&](size_t at, uint8_t value) {
    Bytes bad = good;
    bad[at] = value;
    return stream_parse_header(bad).status().code() == ErrorCode::kAuthFailed;
  };
  EXPECT_TRUE(rejects(0, 'e'));              // magic
  EXPECT_TRUE(rejects(6, 2));                // version
  EXPECT_TRUE(rejects(7, 2));                // suite
  Bytes small = good;
  store_be32(small.data() + 8, kStreamMinChunkBytes - 1);
  EXPECT_FALSE(stream_parse_header(small).ok());
  store_be32(small.data() + 8, kStreamMaxChunkBytes + 1);
  EXPECT_FALSE(stream_parse_header(small).ok());
  EXPECT_TRUE(rejects(28, 0x04));            // context length 1027 > 1024
  EXPECT_TRUE(rejects(65, 0));               // empty key id
  EXPECT_TRUE(rejects(65, 65));              // key id over 64 bytes
  EXPECT_TRUE(rejects(66, '/'));             // key id charset
  EXPECT_TRUE(rejects(66, '.'));             // no leading dot
  EXPECT_TRUE(rejects(66, '-'));             // no leading dash
}

TEST(StreamFormat, ValidatesArgumentsBeforeAnyWork) {
  Bytes header(stream_header_bytes(0, kIdA.size())), key(kStreamKeyBytes);
  EXPECT_EQ(stream_seal_begin(Bytes(31), kIdA, Bytes(), kChunk, header, key).code(),
            ErrorCode::kInvalidArgument);
  Bytes header3(stream_header_bytes(0, 3));
  EXPECT_EQ(stream_seal_begin(kMasterA, bytes("a/b"), Bytes(), kChunk, header3,
                              key).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(stream_seal_begin(kMasterA, kIdA, Bytes(), kStreamMinChunkBytes - 1,
                              header, key).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(stream_seal_begin(kMasterA, kIdA, Bytes(), kStreamMaxChunkBytes + 1,
                              header, key).code(),
            ErrorCode::kInvalidArgument);
  Bytes big_header(stream_header_bytes(1025, kIdA.size()));
  EXPECT_EQ(stream_seal_begin(kMasterA, kIdA, Bytes(1025, 'x'), kChunk,
                              big_header, key).code(),
            ErrorCode::kInvalidArgument);
  Bytes short_header(header.size() - 1);
  EXPECT_EQ(stream_seal_begin(kMasterA, kIdA, Bytes(), kChunk, short_header,
                              key).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(stream_seal_begin(kMasterA, kIdA, Bytes(), kChunk, header, key).ok());
  Bytes out(kStreamTagBytes);
  EXPECT_EQ(stream_seal_chunk(Bytes(38), header, 0, true, Bytes(), out).code(),
            ErrorCode::kInvalidArgument);
  // A header with anything after it is not one header.
  Bytes longer = header;
  longer.push_back(0);
  EXPECT_EQ(stream_seal_chunk(key, longer, 0, true, Bytes(), out).code(),
            ErrorCode::kInvalidArgument);
  Bytes wrong_out(kStreamTagBytes + 1);
  EXPECT_EQ(stream_seal_chunk(key, header, 0, true, Bytes(), wrong_out).code(),
            ErrorCode::kInvalidArgument);
  Bytes none;
  EXPECT_EQ(stream_open_chunk(key, header, 0, true, Bytes(15), none).code(),
            ErrorCode::kAuthFailed) << "shorter than a tag";
  EXPECT_EQ(stream_open_begin(kMasterA, kIdA, longer, key).code(),
            ErrorCode::kAuthFailed);
  EXPECT_EQ(key, Bytes(kStreamKeyBytes, 0)) << "wiped on failure";
}

TEST(StreamFormat, AnyFailedChunkOpenWipesTheOutput) {
  Bytes header(stream_header_bytes(0, kIdA.size()));
  Bytes key(kStreamKeyBytes);
  ASSERT_TRUE(stream_seal_begin(kMasterA, kIdA, ByteView(), kChunk, header, key).ok());
  const auto wiped = [](const Bytes& b) {
    return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
  };
  // Shorter than a tag, whatever out is.
  Bytes out(3, 0xEE);
  EXPECT_EQ(stream_open_chunk(key, header, 0, true, Bytes(5), out).code(), ErrorCode::kAuthFailed);
  EXPECT_TRUE(wiped(out));
  // A wrong out size.
  out.assign(5, 0xEE);
  EXPECT_EQ(stream_open_chunk(key, header, 0, true, Bytes(20), out).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(wiped(out));
  // A malformed header, a wrong stream key size.
  out.assign(4, 0xEE);
  EXPECT_EQ(stream_open_chunk(key, Bytes(10), 0, true, Bytes(20), out).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(wiped(out));
  out.assign(4, 0xEE);
  EXPECT_EQ(stream_open_chunk(Bytes(5), header, 0, true, Bytes(20), out).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(wiped(out));
  // A chunk that does not verify.
  out.assign(4, 0xEE);
  EXPECT_EQ(stream_open_chunk(key, header, 0, true, Bytes(20), out).code(), ErrorCode::kAuthFailed);
  EXPECT_TRUE(wiped(out));
}

TEST(StreamFormat, KeyIdRules) {
  for (const char* ok : {"a", "k20250101-3f9a", "prod.key_2", "A-b.c_d",
                         "0123456789012345678901234567890123456789012345678901234567890123"}) {
    EXPECT_TRUE(stream_key_id_valid(bytes(ok))) << ok;
  }
  for (const char* bad : {"", ".hidden", "-x", "a/b", "a b", "a\\b", "..",
                          "é",
                          "01234567890123456789012345678901234567890123456789012345678901234"}) {
    EXPECT_FALSE(stream_key_id_valid(bytes(bad))) << bad;
  }
}

}  // namespace
}  // namespace enveil
