// Record format v1: parsing and opening arbitrary bytes, and tampering with
// valid records.
//
// Input byte 0, even: the rest is a record, parsed with record_key_id() and
// opened with record_open() under a fixed key and context. Invariants:
//   - record_key_id() succeeds exactly for >= 70 bytes, version 1 and a known
//     suite, and returns bytes 2..5 big-endian; otherwise kAuthFailed, and
//     record_open() refuses with kAuthFailed too.
//   - a wrong output size is kInvalidArgument;
//   - a failed open is kAuthFailed with the output wiped to zeros;
//   - a record that opens is exactly the record that sealing its plaintext
//     again (same key id, salt, suite, context) produces, and it does not open
//     under another context or another key.
//
// Input byte 0, odd (structured): flags (bit 0: suite), 16 salt bytes, u32
// key id, u16 plaintext length, the plaintext, then mutations (op, u16 pos,
// value) applied to the record sealed from it. The mutated record must never
// open unless it is byte for byte the original, and then to the exact
// plaintext.
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_common.h"
#include "record_format.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

const HmacSha256Key& record_key() { return fixed_hmac_key<kRecordKey>(); }
const HmacSha256Key& other_key() { return fixed_hmac_key<kOtherRecordKey>(); }

size_t open_size(size_t record_size) {
  return record_size >= kRecordOverheadBytes ? record_size - kRecordOverheadBytes
                                             : 0;
}

void fuzz_raw(ByteView record) {
  const ByteView context = bv(kRecordContext);
  const bool well_formed = record.size() >= kRecordOverheadBytes &&
                           record[0] == kRecordVersion1 &&
                           (record[1] == kSuiteAes256GcmCommitted ||
                            record[1] == kSuiteChaCha20Poly1305Committed);
  FUZZ_CHECK(record_suite_known(record.size() > 1 ? record[1] : 0) ==
             (record.size() > 1 && (record[1] == 1 || record[1] == 2)));
  const Result<uint32_t> id = record_key_id(record);
  FUZZ_CHECK(id.ok() == well_formed);
  Bytes out(open_size(record.size()), 0xA5);
  if (!id.ok()) {
    FUZZ_CHECK(id.status().code() == ErrorCode::kAuthFailed);
    FUZZ_CHECK(record_open(record_key(), record, context, out).code() ==
               ErrorCode::kAuthFailed);
    return;
  }
  FUZZ_CHECK(id.value() == load_be32(record.data() + kRecordKeyIdOffset));

  // Output sizes other than record - 70 are refused before anything else.
  Bytes wrong(out.size() + 1);
  FUZZ_CHECK(record_open(record_key(), record, context, wrong).code() ==
             ErrorCode::kInvalidArgument);
  if (!out.empty()) {
    wrong.resize(out.size() - 1);
    FUZZ_CHECK(record_open(record_key(), record, context, wrong).code() ==
               ErrorCode::kInvalidArgument);
  }

  const Status opened = record_open(record_key(), record, context, out);
  if (!opened.ok()) {
    FUZZ_CHECK(opened.code() == ErrorCode::kAuthFailed);
    FUZZ_CHECK(all_zero(out));  // no unauthenticated plaintext released
    return;
  }
  // It opened: it must be the one record sealing this plaintext makes.
  Bytes resealed(record.size());
  FUZZ_CHECK(record_seal_with_salt(
                 record_key(), id.value(),
                 record.subspan(kRecordSaltOffset, kRecordSaltBytes), context,
                 out, resealed, record[1])
                 .ok());
  FUZZ_CHECK(equal(resealed, record));
  // ...bound to its context and its key.
  Bytes other(out.size());
  FUZZ_CHECK(record_open(record_key(), record, ByteView(), other).code() ==
             ErrorCode::kAuthFailed);
  FUZZ_CHECK(record_open(other_key(), record, context, other).code() ==
             ErrorCode::kAuthFailed);
  FUZZ_CHECK(all_zero(other));
}

void mutate(Reader& r, Bytes& rec) {
  const uint8_t op = r.u8() % kMutCount;
  const uint16_t pos = r.u16();
  const uint8_t value = r.u8();
  switch (op) {
    case kMutXor: edit_xor(rec, pos, value); break;
    case kMutTruncate: edit_truncate(rec, pos); break;
    case kMutInsert: edit_insert(rec, pos, value); break;
    case kMutErase: edit_erase(rec, pos); break;
    case kMutAppend: rec.push_back(value); break;
    case kMutSet: edit_set(rec, pos, value); break;
    case kMutSwap: edit_swap(rec, pos, value); break;
  }
}

void fuzz_structured(Reader& r) {
  const ByteView context = bv(kRecordContext);
  const uint8_t flags = r.u8();
  const uint8_t suite = (flags & 1) ? kSuiteChaCha20Poly1305Committed
                                    : kSuiteAes256GcmCommitted;
  uint8_t salt[kRecordSaltBytes] = {};
  const ByteView salt_in = r.bytes(kRecordSaltBytes);
  if (!salt_in.empty()) std::memcpy(salt, salt_in.data(), salt_in.size());
  const uint32_t key_id = r.u32();
  const ByteView plaintext = r.bytes(r.u16() % 4096);

  Bytes original(plaintext.size() + kRecordOverheadBytes);
  FUZZ_CHECK(record_seal_with_salt(record_key(), key_id, salt, context,
                                   plaintext, original, suite)
                 .ok());
  FUZZ_CHECK(original[0] == kRecordVersion1 && original[1] == suite);
  FUZZ_CHECK(record_key_id(original).ok() &&
             record_key_id(original).value() == key_id);
  FUZZ_CHECK(std::memcmp(original.data() + kRecordSaltOffset, salt,
                         kRecordSaltBytes) == 0);
  // Sealing is a function of (key, id, salt, suite, context, plaintext).
  Bytes again(original.size());
  FUZZ_CHECK(record_seal_with_salt(record_key(), key_id, salt, context,
                                   plaintext, again, suite)
                 .ok());
  FUZZ_CHECK(again == original);
  // Wrong out sizes and unknown suites are refused.
  Bytes short_out(original.size() - 1);
  FUZZ_CHECK(record_seal_with_salt(record_key(), key_id, salt, context,
                                   plaintext, short_out, suite)
                 .code() == ErrorCode::kInvalidArgument);
  const uint8_t bad_suite = static_cast<uint8_t>(flags >> 1);
  if (!record_suite_known(bad_suite)) {
    FUZZ_CHECK(record_seal_with_salt(record_key(), key_id, salt, context,
                                     plaintext, again, bad_suite)
                   .code() == ErrorCode::kInvalidArgument);
  }

  Bytes out(plaintext.size(), 0xA5);
  FUZZ_CHECK(record_open(record_key(), original, context, out).ok());
  FUZZ_CHECK(equal(out, plaintext));

  Bytes rec = original;
  size_t mutations = 0;
  while (!r.empty() && mutations++ < 64) mutate(r, rec);

  Bytes opened(open_size(rec.size()), 0xA5);
  const Status s = record_open(record_key(), rec, context, opened);
  if (s.ok()) {
    FUZZ_CHECK(rec == original);
    FUZZ_CHECK(equal(opened, plaintext));
  } else {
    FUZZ_CHECK(rec != original);
    FUZZ_CHECK(s.code() == ErrorCode::kAuthFailed);
    // Past parsing, a failed open wipes the output (a header that does not
    // parse is refused before the output is touched).
    if (record_key_id(rec).ok()) FUZZ_CHECK(all_zero(opened));
  }
  // The untouched record never opens under another context or key.
  FUZZ_CHECK(record_open(record_key(), original, ByteView(), out).code() ==
             ErrorCode::kAuthFailed);
  FUZZ_CHECK(record_open(other_key(), original, context, out).code() ==
             ErrorCode::kAuthFailed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == kRecordModeRaw) {
    fuzz_raw(ByteView(data + 1, size - 1));
  } else {
    Reader r(data + 1, size - 1);
    fuzz_structured(r);
  }
  return 0;
}
