// Writes the seed corpora of the fuzz targets, built from valid outputs of
// the core: sealed records of both suites, exported keyring entries with ops
// on them, sample UTF-8 values (and a few invalid ones), HKDF/HMAC parameter
// blobs with the RFC 5869 and RFC 4231 inputs, sealed streams (raw, split and
// structured, with mutations).
//
// Usage: make_seeds DIR   (writes DIR/<target>/seed-NNN; DIR/<target> is
// emptied of earlier seed-* files first)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.h"
#include "keyring.h"
#include "record_format.h"
#include "stream_format.h"
#include "stream_model.h"
#include "stream_mutations.h"

using namespace enveil;
using namespace enveil_fuzz;
namespace fs = std::filesystem;

namespace {

class Corpus {
 public:
  Corpus(const fs::path& root, const std::string& target)
      : dir_(root / target) {
    fs::create_directories(dir_);
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().rfind("seed-", 0) == 0) fs::remove(e.path());
    }
  }
  ~Corpus() { std::printf("  %-22s %3d seeds\n", dir_.filename().c_str(), n_); }
  void add(const Bytes& data) {
    char name[32];
    std::snprintf(name, sizeof name, "seed-%03d", n_++);
    std::ofstream f(dir_ / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(data.data()),
            static_cast<std::streamsize>(data.size()));
    if (!f) {
      std::fprintf(stderr, "make_seeds: cannot write %s\n", (dir_ / name).c_str());
      std::exit(1);
    }
  }
  void add(const Writer& w) { add(w.data()); }

 private:
  fs::path dir_;
  int n_ = 0;
};

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "make_seeds: %s failed\n", what);
    std::exit(1);
  }
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes pattern(size_t n, uint8_t start) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(start + i * 7);
  return b;
}

const uint8_t kSuites[] = {kSuiteAes256GcmCommitted,
                           kSuiteChaCha20Poly1305Committed};

// ---- fuzz_record_open -------------------------------------------------------

void record_seeds(const fs::path& root) {
  Corpus c(root, "fuzz_record_open");
  const HmacSha256Key& key = fixed_hmac_key<kRecordKey>();
  const size_t sizes[] = {0, 1, 15, 16, 17, 32, 64, 255, 1000};
  uint32_t id = 1;
  for (uint8_t suite : kSuites) {
    for (size_t n : sizes) {
      const Bytes pt = pattern(n, static_cast<uint8_t>(n));
      Bytes rec(pt.size() + kRecordOverheadBytes);
      require(record_seal(key, id, bv(kRecordContext), pt, rec, suite).ok(),
              "record_seal");
      id = id * 2654435761u + 1;
      c.add(Writer().u8(kRecordModeRaw).bytes(bv(rec)));
      // Structured: the same plaintext, with and without mutations.
      Writer s;
      s.u8(kRecordModeStructured).u8(suite == kSuiteChaCha20Poly1305Committed ? 1 : 0);
      s.bytes(bv(pattern(16, 0x40))).u32(id).u16(static_cast<uint16_t>(n)).bytes(bv(pt));
      c.add(s);
      Writer flip = s;
      flip.u8(kMutXor).u16(static_cast<uint16_t>(kRecordHeaderBytes + n)).u8(0x80);
      c.add(flip);
      Writer trunc = s;
      trunc.u8(kMutTruncate).u16(static_cast<uint16_t>(kRecordOverheadBytes + n - 1)).u8(0);
      c.add(trunc);
      Writer hdr = s;  // suite byte 1 <-> 2, key id and commitment bytes
      hdr.u8(kMutXor).u16(1).u8(3).u8(kMutXor).u16(5).u8(1).u8(kMutSet).u16(30).u8(0);
      c.add(hdr);
      Writer twice = s;  // a flip undone: must open again
      twice.u8(kMutXor).u16(60).u8(0x11).u8(kMutXor).u16(60).u8(0x11);
      c.add(twice);
    }
  }
  // Malformed headers.
  Bytes rec(kRecordOverheadBytes + 4);
  require(record_seal(key, 7, bv(kRecordContext), text("abcd"), rec).ok(), "record_seal");
  Bytes v2 = rec;
  v2[0] = 2;
  c.add(Writer().u8(kRecordModeRaw).bytes(bv(v2)));
  Bytes s3 = rec;
  s3[1] = 3;
  c.add(Writer().u8(kRecordModeRaw).bytes(bv(s3)));
  c.add(Writer().u8(kRecordModeRaw).bytes(ByteView(rec).first(kRecordOverheadBytes - 1)));
  c.add(Writer().u8(kRecordModeRaw));
}

// ---- fuzz_keyring_import ------------------------------------------------------

void write_import(Writer& w, const KeyEntryInfo& e) {
  w.u8(kOpImport).u32(e.id).u8(static_cast<uint8_t>(e.kind))
      .u8(static_cast<uint8_t>(e.status)).u8(static_cast<uint8_t>(e.created_at_ms))
      .lp8(e.scope).lp8(bv(e.wrapped));
}

void keyring_seeds(const fs::path& root) {
  Corpus c(root, "fuzz_keyring_import");
  for (uint8_t suite : kSuites) {
    const uint8_t flags = suite == kSuiteChaCha20Poly1305Committed ? 1 : 0;
    Result<Keyring> made = Keyring::create(kKek, kStore, kKekId, suite);
    require(made.ok(), "Keyring::create");
    Keyring& ring = made.value();
    require(ring.rotate(KeyKind::kData, "users", 1).ok(), "rotate");
    require(ring.rotate(KeyKind::kData, "notes", 2).ok(), "rotate");
    require(ring.rotate(KeyKind::kIndex, "users/email", 3).ok(), "rotate");
    require(ring.rotate(KeyKind::kIndex, "users/phone", 4).ok(), "rotate");
    require(ring.rotate(KeyKind::kData, "users", 5).ok(), "rotate");
    require(ring.set_status(ring.entry(0).id, KeyStatus::kRetired).ok(), "set_status");

    Writer imports;
    imports.u8(flags);
    for (size_t i = 0; i < ring.size(); ++i) write_import(imports, ring.entry(i));
    c.add(imports);

    // Imports, then records and indexes on them.
    const Bytes pt = text("alice@example.com");
    Bytes rec(pt.size() + kRecordOverheadBytes);
    require(ring.encrypt("users", text("users/1/email"), pt, rec).ok(), "encrypt");
    Writer use = imports;
    use.u8(kOpEncrypt).u8(0x80).lp8("users").lp8("users/2/email").lp8("bob@example.com");
    use.u8(kOpDecrypt).lp16(bv(rec)).lp8("users/1/email");
    use.u8(kOpTamper).u8(0).u16(70).u8(0x01);
    use.u8(kOpBlindIndex).u8(0x80).lp8("users").lp8("email")
        .u8(static_cast<uint8_t>(Normalization::kTrimLowercase)).u16(32).u8(0)
        .lp8(" Alice@Example.COM ");
    use.u8(kOpBlindIndex).u8(0x80).lp8("users").lp8("phone")
        .u8(static_cast<uint8_t>(Normalization::kDigits)).u16(64).u8(0)
        .lp8("+1 (555) 010-9999");
    use.u8(kOpReimport);
    c.add(use);

    // Rewrap to a second KEK, re-import, a wrapped secret.
    Writer rewrap = imports;
    rewrap.u8(kOpEncrypt).u8(0x80).lp8("notes").lp8("n/1").lp8("a note");
    rewrap.u8(kOpRewrap).u8(0).u16(5).bytes("kek-2");
    rewrap.u8(kOpReimport);
    rewrap.u8(kOpSecret).lp8("recovery").lp8(bv(pattern(32, 9))).u16(0x1234);
    rewrap.u8(kOpRewrap).u8(3).lp8(bv(pattern(31, 1))).u16(300);  // refused
    c.add(rewrap);

    // Status changes, rotation, removal, destroy.
    Writer status = imports;
    status.u8(kOpStatus).u8(1).u8(0).u8(0);   // promote entry 0
    status.u8(kOpStatus).u8(0).u8(4).u8(3);   // retire entry 4
    status.u8(kOpRotate).u8(1).u8(0x80).lp8("notes").u8(9);
    status.u8(kOpRotate).u8(2).u8(0x80).lp8("notes/title").u8(9);
    status.u8(kOpStatus).u8(2).u8(1).u8(0);   // remove entry 1
    status.u8(kOpReimport);
    status.u8(kOpDestroy);
    c.add(status);

    // Edited entries: a flipped wrapped byte, a relabelled kind and scope.
    Writer edited;
    edited.u8(flags);
    KeyEntryInfo e = ring.entry(1);
    e.wrapped[80] ^= 1;
    write_import(edited, e);
    e = ring.entry(2);
    e.kind = KeyKind::kData;
    e.scope = "users";
    write_import(edited, e);
    e = ring.entry(3);
    e.id ^= 1;
    write_import(edited, e);
    c.add(edited);

    // A rewrapped ring's entries (import under kKek fails: kKeyUnavailable).
    require(ring.rewrap(kKek2, "kek-2").ok(), "rewrap");
    Writer other;
    other.u8(flags);
    for (size_t i = 0; i < ring.size(); ++i) write_import(other, ring.entry(i));
    c.add(other);
  }
  c.add(Writer().u8(0).u8(kOpRotate).u8(1).u8(0x80).lp8("a").u8(0)
            .u8(kOpEncrypt).u8(0).lp8("").lp8("x").u8(kOpRewrap).u8(1).u16(0));
}

// ---- fuzz_blind_index ----------------------------------------------------------

void blind_index_seeds(const fs::path& root) {
  Corpus c(root, "fuzz_blind_index");
  const std::string_view values[] = {
      "",
      "Alice@Example.COM",
      "  \t Alice@Example.COM \n",
      "+1 (555) 010-9999",
      "\xC3\x9C" "bung \xC3\x84rger",              // Übung Ärger
      "\xCE\xA3\xCE\x91\xCE\xA3",                  // ΣΑΣ
      "\xC4\xB0stanbul",                           // İstanbul
      "\xC8\xBA",                                  // U+023A (lowercase is longer)
      "\xE2\x84\xAA" "elvin",                      // KELVIN SIGN
      "\xE3\x80\x80\xEF\xBB\xBF" "x\xE2\x80\xA8",  // U+3000 U+FEFF x U+2028
      "\xF0\x9F\x98\x80 \xF0\x90\x90\x80",         // emoji, DESERET CAPITAL
      "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",  // Привет
      "\xC0\x80",                                  // overlong NUL
      "\xED\xA0\x80",                              // surrogate
      "\xF4\x90\x80\x80",                          // past U+10FFFF
      "abc\xE2\x82",                               // truncated
      "\xFF\xFE",
      "0123456789",
  };
  const struct { uint8_t mode; uint16_t bits; } params[] = {
      {0, 8}, {1, 32}, {2, 64}, {3, 127}, {2, 256}, {1, 13}, {7, 16}, {2, 257}};
  size_t k = 0;
  for (std::string_view v : values) {
    for (int j = 0; j < 2; ++j) {
      const auto& p = params[(k++) % (sizeof params / sizeof params[0])];
      c.add(Writer().u8(p.mode).u16(p.bits).bytes(v));
    }
  }
}

// ---- fuzz_hkdf_hmac --------------------------------------------------------

void hkdf_seeds(const fs::path& root) {
  Corpus c(root, "fuzz_hkdf_hmac");
  auto blob = [&](uint16_t len_raw, uint16_t split, uint8_t tag_len,
                  uint8_t tag_mode, const Bytes& ikm, const Bytes& salt,
                  const Bytes& info, const Bytes& msg) {
    c.add(Writer().u16(len_raw).u16(split).u8(tag_len).u8(tag_mode)
              .u8(static_cast<uint8_t>(ikm.size()))
              .u8(static_cast<uint8_t>(salt.size()))
              .u8(static_cast<uint8_t>(info.size()))
              .bytes(bv(ikm)).bytes(bv(salt)).bytes(bv(info)).bytes(bv(msg)));
  };
  // RFC 5869 A.1 (L = 42), A.3 (no salt, no info).
  Bytes salt(13), info(10);
  for (int i = 0; i < 13; ++i) salt[i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 10; ++i) info[i] = static_cast<uint8_t>(0xF0 + i);
  blob(42, 5, 32, 0, Bytes(22, 0x0B), salt, info, text("Hi There"));
  blob(42, 0, 16, 1, Bytes(22, 0x0B), Bytes(), Bytes(), Bytes());
  // RFC 5869 A.2 (long inputs, L = 82).
  blob(82, 40, 33, 2, pattern(80, 0x00), pattern(80, 0x60), pattern(80, 0xB0),
       text("what do ya want for nothing?"));
  // RFC 4231: "Jefe", a 131-byte key (hashed first).
  blob(32, 3, 28, 0, text("Jefe"), Bytes(), text("enveil/v1/record"),
       text("what do ya want for nothing?"));
  blob(76, 16, 32, 3, Bytes(131, 0xAA), Bytes(32, 0), text("ctx"),
       text("Test Using Larger Than Block-Size Key - Hash Key First"));
  // Lengths at the edges: 0, 1, 31..33, 8160, 8161, far too long.
  blob(0, 0, 0, 0, text("ikm"), text("salt"), text("info"), text("m"));
  blob(1, 1, 15, 0, text("ikm"), text("salt"), text("info"), text("m"));
  blob(33, 32, 40, 0, text("ikm"), Bytes(), text("info"), pattern(64, 3));
  blob(0xE010, 0x1FE0, 31, 1, pattern(32, 7), pattern(16, 1), Bytes(), pattern(65, 9));  // 8160
  blob(0xE011, 8159, 17, 0, pattern(32, 7), pattern(16, 1), Bytes(), Bytes());      // 8161
  blob(0xFFFE, 12, 32, 2, pattern(64, 5), Bytes(), Bytes(), pattern(100, 2));  // 32766
  blob(0xF005, 7, 16, 1, text("k"), Bytes(), text("i"), text("m"));       // 8160 (odd, % 12 == 5)
}

// ---- fuzz_stream_open ---------------------------------------------------------

struct SealedStream {
  Bytes header;
  std::vector<model::Chunk> chunks;
  Bytes file() const { return model::flatten(header, chunks); }
};

SealedStream seal_stream(const uint8_t (&master)[32], std::string_view id,
                         std::string_view context, uint32_t chunk,
                         const Bytes& pt) {
  SealedStream s;
  s.header.resize(stream_header_bytes(context.size(), id.size()));
  Bytes key(kStreamKeyBytes);
  require(stream_seal_begin(master, bv(id), bv(context), chunk, s.header, key).ok(),
          "stream_seal_begin");
  const std::vector<ByteView> parts = model::plaintext_parts(pt, chunk);
  for (uint64_t i = 0; i < parts.size(); ++i) {
    model::Chunk c{Bytes(parts[i].size() + model::kTagBytes)};
    require(stream_seal_chunk(key, s.header, i, i + 1 == parts.size(), parts[i], c.data)
                .ok(),
            "stream_seal_chunk");
    s.chunks.push_back(std::move(c));
  }
  return s;
}

// A structured input with fixed file id and salts (the caller appends the
// mutations).
Writer stream_structured(uint8_t flags, uint8_t chunk_sel, std::string_view id,
                         std::string_view context, const Bytes& pt) {
  StreamInput in;
  in.flags = flags;
  in.chunk_selector = chunk_sel;
  auto fill = [](uint8_t (&field)[16], uint8_t start) {
    const Bytes p = pattern(sizeof field, start);
    std::copy(p.begin(), p.end(), field);
  };
  fill(in.file_id, 0x10);
  fill(in.wrap_salt, 0x20);
  fill(in.rewrap_salt, 0x30);
  in.key_id = bv(id);
  in.context = bv(context);
  in.plaintext = bv(pt);
  Writer w;
  w.u8(kStreamModeStructured);
  in.write(w);
  return w;
}

Writer& smut(Writer& w, StreamMutation op, uint8_t chunk, uint16_t pos, uint8_t value) {
  StreamEdit{op, chunk, pos, value}.write(w);
  return w;
}

void stream_seeds(const fs::path& root) {
  Corpus c(root, "fuzz_stream_open");
  constexpr std::string_view kContext = "enveil/fuzz/.env/DATABASE_URL";
  // Raw files: genuine streams (they open), under another id or key.
  const struct { size_t n; uint32_t chunk; std::string_view context; } raws[] = {
      {0, 16, ""}, {1, 16, kContext}, {15, 16, ""}, {16, 16, kContext},
      {17, 16, ""}, {100, 32, kContext}, {1000, 64, "c"}, {300, 4096, kContext},
      {64, 17, ""}};
  for (const auto& p : raws) {
    const Bytes pt = pattern(p.n, static_cast<uint8_t>(p.n));
    const SealedStream s = seal_stream(kStreamMaster, kStreamKeyId, p.context, p.chunk, pt);
    c.add(Writer().u8(kStreamModeRawFile).bytes(bv(s.file())));
  }
  const Bytes pt40 = pattern(40, 1);
  const SealedStream good = seal_stream(kStreamMaster, kStreamKeyId, kContext, 16, pt40);
  c.add(Writer().u8(kStreamModeRawFile).bytes(bv(
      seal_stream(kStreamMaster, kStreamKeyId2, kContext, 16, pt40).file())));
  c.add(Writer().u8(kStreamModeRawFile).bytes(bv(
      seal_stream(kStreamOtherMaster, kStreamKeyId, kContext, 16, pt40).file())));
  // Truncated, extended, header only, malformed headers.
  const Bytes file = good.file();
  c.add(Writer().u8(kStreamModeRawFile).bytes(bv(good.header)));
  c.add(Writer().u8(kStreamModeRawFile).bytes(ByteView(file).first(file.size() - 1)));
  c.add(Writer().u8(kStreamModeRawFile).bytes(ByteView(file).first(good.header.size() - 1)));
  c.add(Writer().u8(kStreamModeRawFile).bytes(bv(file)).u8(0));
  c.add(Writer().u8(kStreamModeRawFile));
  const size_t id_length_at = model::immutable_bytes(kContext.size());
  auto edited = [&](size_t at, uint8_t value) {
    Bytes b = file;
    b[at] = value;
    c.add(Writer().u8(kStreamModeRawFile).bytes(bv(b)));
  };
  edited(0, 'e');                             // magic
  edited(model::kVersionOffset, 2);           // version
  edited(model::kSuiteOffset, 2);             // suite
  edited(model::kContextLengthOffset, 0x04);  // context length 1024 + 29
  edited(id_length_at, 0);                    // empty key id
  edited(id_length_at, 65);                   // key id too long
  edited(id_length_at + 1, '.');              // leading dot
  edited(id_length_at + 1, '-');              // leading dash
  edited(id_length_at + 2, '/');              // charset
  edited(id_length_at + 2, 'X');              // another valid id
  for (uint32_t bad_chunk : {model::kMinChunkBytes - 1, model::kMaxChunkBytes + 1,
                             model::kMaxChunkBytes}) {
    Bytes b = file;
    store_be32(b.data() + model::kChunkSizeOffset, bad_chunk);
    c.add(Writer().u8(kStreamModeRawFile).bytes(bv(b)));
  }
  {  // context length 1024: the largest header
    Bytes b(stream_header_bytes(1024, kStreamKeyId.size()));
    Bytes key(kStreamKeyBytes);
    require(stream_seal_begin(kStreamMaster, bv(kStreamKeyId), bv(Bytes(1024, 'x')),
                              kStreamMinChunkBytes, b, key)
                .ok(),
            "stream_seal_begin");
    c.add(Writer().u8(kStreamModeRawFile).bytes(bv(b)));
  }

  // Explicit splits: genuine chunks at their index and elsewhere.
  {
    Writer w;
    w.u8(kStreamModeRawSplit).lp16(bv(good.header));
    for (const model::Chunk& ch : good.chunks) w.u8(0).lp16(bv(ch.data));
    const Bytes& first = good.chunks[0].data;
    const Bytes& last = good.chunks.back().data;
    w.u8(1).lp16(bv(last));                    // final flag at the wrong index
    w.u8(1 | 4).lp16(bv(last)).u16(2);         // final, right index
    w.u8(4).lp16(bv(first)).u16(0);            // chunk 0 again
    w.u8(2 | 4).lp16(bv(first)).u16(0);        // index 2^32
    w.u8(1).lp16(ByteView(first).first(15));  // shorter than a tag
    c.add(w);
    Writer trailing;
    trailing.u8(kStreamModeRawSplit).u16(static_cast<uint16_t>(good.header.size() + 1))
        .bytes(bv(good.header)).u8(0).u8(0).lp16(bv(good.chunks[0].data));
    c.add(trailing);
  }

  // Structured: sizes around the chunk size, ids, contexts, flags.
  const struct {
    uint8_t flags, chunk_sel;
    std::string_view id, context;
    size_t n;
  } st[] = {
      {0, 0, "fuzz-master_1", kContext, 0},
      {1, 0, "k", "", 15},
      {2, 0, "fuzz-master_1", "", 16},
      {3, 0, "k.2", kContext, 33},
      {4, 16, "Fuzz.master.2", kContext, 100},
      {6, 48, "a-b_c.d", "c", 1000},
      {5, 240, "fuzz-master_1", kContext, 4096},
      {0, 1, ".bad", kContext, 40},
      {1, 2, "", "", 5}};
  for (const auto& p : st) {
    const Bytes pt = pattern(p.n, static_cast<uint8_t>(p.n + 1));
    Writer base = stream_structured(p.flags, p.chunk_sel, p.id, p.context, pt);
    c.add(base);
  }
  // Every mutation once on a stream of several chunks (C = 16, 40 bytes:
  // chunks of 32, 32, 24 bytes; header of 62 + 29 + 1 + 13 + 102 bytes).
  const Writer base = stream_structured(0, 0, kStreamKeyId, kContext, pt40);
  const uint16_t header_bytes = static_cast<uint16_t>(good.header.size());
  const struct { StreamMutation op; uint8_t chunk; uint16_t pos; uint8_t value; } muts[] = {
      {kSMutHeaderXor, 0, 100, 0x01},   // wrapped key
      {kSMutHeaderXor, 0, 40, 0x80},    // context
      {kSMutHeaderXor, 0, 93, 0x01},    // key id
      {kSMutHeaderSet, 0, 11, 17},      // chunk size
      {kSMutHeaderTruncate, 0, static_cast<uint16_t>(header_bytes - 1), 0},
      {kSMutHeaderInsert, 0, header_bytes, 0},
      {kSMutHeaderErase, 0, 15, 0},
      {kSMutHeaderSwap, 0, 12, 1},
      {kSMutChunkXor, 1, 3, 0x40},
      {kSMutChunkXor, 2, 23, 0x01},     // a tag byte
      {kSMutChunkTruncate, 2, 16, 0},
      {kSMutChunkInsert, 0, 0, 0},
      {kSMutChunkErase, 1, 31, 0},
      {kSMutChunkDrop, 1, 0, 0},
      {kSMutChunkDup, 0, 1, 0},
      {kSMutChunkSwap, 0, 1, 0},
      {kSMutChunkMove, 2, 0, 0},
      {kSMutCut, 2, 0, 0},              // ends on a full chunk
      {kSMutFlipFinal, 2, 0, 0},
      {kSMutFlipFinal, 0, 0, 0},
      {kSMutAppend, 0, 0, 0},
      {kSMutAppendChunk, 0, 16, 0},
      {kSMutShift, 0, 4, 0},            // the same file, other chunks
  };
  for (const auto& m : muts) {
    Writer w = base;
    c.add(smut(w, m.op, m.chunk, m.pos, m.value));
  }
  {
    Writer undone = base;  // a flip undone, a chunk swapped back: opens
    smut(undone, kSMutChunkXor, 1, 5, 0x22);
    smut(undone, kSMutChunkXor, 1, 5, 0x22);
    smut(undone, kSMutChunkSwap, 0, 2, 0);
    smut(undone, kSMutChunkSwap, 2, 0, 0);
    c.add(undone);
    Writer cut_empty = stream_structured(0, 0, kStreamKeyId, kContext, pattern(32, 3));
    smut(cut_empty, kSMutCut, 2, 0, 0);  // full, full: the empty final dropped
    c.add(cut_empty);
    Writer appended = base;
    smut(appended, kSMutAppendChunk, 0, 0, 0);  // an empty chunk after the final
    c.add(appended);
  }
}

// ---- fuzz_aes_ct -------------------------------------------------------------
// Each key size, counters far from and near 2^32, lengths around the block
// and pass sizes (16, 64, 96, 128 bytes), in place or not, AAD split or not.

void aes_ct_seeds(const fs::path& root) {
  Corpus c(root, "fuzz_aes_ct");
  const uint16_t lengths[] = {0, 1, 15, 16, 17, 63, 64, 95, 96, 97, 127, 128, 129, 1000, 4097};
  uint8_t n = 0;
  for (uint16_t len : lengths) {
    for (uint8_t key_size = 0; key_size < 3; ++key_size) {
      ++n;
      const uint8_t flags = static_cast<uint8_t>(key_size | (n % 2 ? 4 : 0) |
                                                 (n % 3 ? 8 : 0) | (len > 200 ? 16 : 0));
      Writer w;
      w.u8(flags)
          .bytes(bv(pattern(32, n)).first(key_size == 0 ? 16 : key_size == 1 ? 24 : 32))
          .bytes(bv(pattern(12, static_cast<uint8_t>(n + 100))))
          .u32(n % 2 ? 7 : 0x12345678u * n)
          .u16(len)
          .u8(static_cast<uint8_t>(n * 5))
          .u8(static_cast<uint8_t>(n * 11))
          .lp8(bv(pattern(n % 4 == 0 ? 0 : n % 50, n)))
          .u16(static_cast<uint16_t>(n * 37))
          .u8(static_cast<uint8_t>(1u << (n % 8)))
          .bytes(bv(pattern(len > 200 ? 2 : len, static_cast<uint8_t>(n * 3))));
      c.add(w);
    }
  }
}

// ---- fuzz_chacha20 -----------------------------------------------------------
// Counters far from and near 2^32, lengths around the block and batch sizes
// (64 and 256 bytes, and the 192 bytes our first AEAD batch covers), in
// place or not, AAD split or not.

void chacha20_seeds(const fs::path& root) {
  Corpus c(root, "fuzz_chacha20");
  const uint16_t lengths[] = {0,   1,   31,  63,  64,  65,  191, 192, 193,
                              255, 256, 257, 511, 1000, 1024, 4097};
  uint8_t n = 0;
  for (uint16_t len : lengths) {
    for (int variant = 0; variant < 2; ++variant) {
      ++n;
      const uint8_t flags = static_cast<uint8_t>((n % 2 ? 1 : 0) | (n % 3 ? 2 : 0) |
                                                 (len > 200 ? 4 : 0));
      Writer w;
      w.u8(flags)
          .bytes(bv(pattern(32, n)))
          .bytes(bv(pattern(12, static_cast<uint8_t>(n + 100))))
          .u32(variant ? 1 : 0x12345678u * n)
          .u16(len)
          .u8(static_cast<uint8_t>(n * 5))
          .u8(static_cast<uint8_t>(n * 11))
          .lp8(bv(pattern(n % 4 == 0 ? 0 : n % 50, n)))
          .u16(static_cast<uint16_t>(n * 37))
          .u8(static_cast<uint8_t>(1u << (n % 8)))
          .bytes(bv(pattern(len > 200 ? 2 : len, static_cast<uint8_t>(n * 3))));
      c.add(w);
    }
  }
}

}  // namespace

// ---- fuzz_sha256_hmac --------------------------------------------------------
// Message lengths around the block and padding boundaries (55/56, 63/64,
// 119/120), key lengths 0, 32, 64, 65 and 131 (hashed first), no split or
// several, aligned and not.

void sha256_hmac_seeds(const fs::path& root) {
  Corpus c(root, "fuzz_sha256_hmac");
  const uint16_t lengths[] = {0, 1, 31, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 4097};
  const uint8_t key_lengths[] = {0, 32, 64, 65, 131};
  uint8_t n = 0;
  for (uint16_t len : lengths) {
    for (uint8_t key_len : key_lengths) {
      ++n;
      const uint8_t flags = static_cast<uint8_t>((len > 200 ? 1 : 0) | (n % 2 ? 4 : 0) |
                                                 (n % 7) << 5);
      Writer w;
      w.u8(flags).u16(len).u8(key_len);
      const uint8_t splits = n % 4;
      w.u8(splits);
      for (uint8_t s = 0; s < splits; ++s) w.u16(static_cast<uint16_t>(n * 13 + s * 61));
      w.bytes(bv(pattern(key_len, n)))
          .bytes(bv(pattern(len > 200 ? 2 : len, static_cast<uint8_t>(n * 3))));
      c.add(w);
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  const fs::path root(argv[1]);
  std::printf("seed corpora in %s\n", root.c_str());
  record_seeds(root);
  keyring_seeds(root);
  blind_index_seeds(root);
  hkdf_seeds(root);
  stream_seeds(root);
  aes_ct_seeds(root);
  chacha20_seeds(root);
  sha256_hmac_seeds(root);
  return 0;
}
