// The keyring: data keys (record encryption) and index keys (blind indexes),
// each 32 random bytes, held unwrapped only in memory and exported only
// wrapped under the KEK (DESIGN.md §2).
//
// A wrapped key is a v1 record (record_format.h) sealed under the KEK, with
// key id 0 (the KEK; keyring ids are never 0) and this context:
//   "enveil/v1/dek" ‖ lp(store) ‖ lp(kekId) ‖ uint32be(id) ‖ kind ‖ lp(scope)
// where lp(x) = uint32be(length) ‖ x and kind is 1 (data) or 2 (index). The
// lengths keep the fields unambiguous, and binding kind and scope means an
// entry relabelled in storage no longer unwraps. Status and creation time are
// not bound: they change without re-wrapping.
//
// Scopes: a data key's scope names a collection; an index key's scope is
// "<collection>/<field>". Names are 1..255 bytes, without '/' or NUL.
#ifndef ENVEIL_KEYRING_H_
#define ENVEIL_KEYRING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "blind_index.h"
#include "bytes.h"
#include "hmac.h"
#include "key_wrap.h"
#include "record_format.h"
#include "secret.h"
#include "status.h"

namespace enveil {

enum class KeyKind : uint8_t { kData = 1, kIndex = 2 };
// primary: used for new records / index values; active: still read (or
// searched) while rotation moves records off it; retired: no record is
// expected to use it (reads still work, nothing new is written with it).
enum class KeyStatus : uint8_t { kPrimary = 1, kActive = 2, kRetired = 3 };

inline constexpr size_t kKeyringKeyBytes = 32;
inline constexpr size_t kKeyringKekBytes = 32;
inline constexpr size_t kKeyringWrappedBytes = kWrappedKeyBytes;
inline constexpr size_t kKeyringMaxNameBytes = 255;
// The longest blind_index() text: a uint32 key id in decimal (10 digits),
// ':' and the hex of kBlindIndexMaxBits bits.
inline constexpr size_t kKeyringBlindIndexMaxTextBytes =
    10 + 1 + kBlindIndexMaxBits / 4;
// Keyring keys are record keys, wrapped by wrap_key (key_wrap.h).
static_assert(kKeyringKeyBytes == kRecordKeyBytes);

// What export hands out for one key: never the key itself.
struct KeyEntryInfo {
  uint32_t id = 0;
  KeyKind kind = KeyKind::kData;
  std::string scope;
  KeyStatus status = KeyStatus::kPrimary;
  double created_at_ms = 0;
  std::vector<uint8_t> wrapped;  // kKeyringWrappedBytes
};

class Keyring {
 public:
  // An empty keyring. `store` and `kek_id` are bound into every wrap.
  // Errors: kInvalidArgument for a KEK that is not 32 bytes or a store or
  // kek id longer than 255 bytes.
  // `suite` is the record suite encrypt() seals with (record_format.h);
  // decrypt() opens either.
  static Result<Keyring> create(ByteView kek, std::string_view store,
                                std::string_view kek_id,
                                uint8_t suite = kSuiteAes256GcmCommitted);

  Keyring(Keyring&&) noexcept = default;
  Keyring& operator=(Keyring&&) noexcept = default;

  // Adds a previously exported entry, unwrapping it under the KEK.
  // Errors: kKeyUnavailable when it does not unwrap (wrong KEK, another
  // store, or an edited entry); kInvalidArgument for id 0, a duplicate id, a
  // bad scope, kind or status, a wrapped size other than 102, or a second
  // primary for the same kind and scope.
  Status import_entry(uint32_t id, KeyKind kind, std::string_view scope,
                      KeyStatus status, double created_at_ms,
                      ByteView wrapped);

  // Makes a new random key the primary for (kind, scope); the previous
  // primary, if any, becomes active. Returns the new id.
  // Errors: kInvalidArgument for a bad scope; kUnsupported without a random
  // source.
  Result<uint32_t> rotate(KeyKind kind, std::string_view scope,
                          double created_at_ms);

  // Marks a non-primary key active or retired. Errors: kUnknownKey for an
  // id not held; kInvalidArgument to change a primary or to make one.
  Status set_status(uint32_t id, KeyStatus status);

  // Makes key `id` the primary of its (kind, scope), demoting the current
  // primary to active: undoes a rotate() whose new key could not be stored.
  // Errors: kUnknownKey for an id not held.
  Status promote(uint32_t id);

  // Forgets key `id` (wiping it): undoes a rotate() or an import that could
  // not be stored. Errors: kUnknownKey for an id not held.
  Status remove(uint32_t id);

  // Re-wraps every entry under a new KEK (master-key rotation); keys and
  // records are unchanged. On error nothing changes.
  Status rewrap(ByteView new_kek, std::string_view new_kek_id);

  // Seals a 32-byte secret of the caller's (e.g. a recovery key) under the
  // KEK, with context "enveil/v1/secret" ‖ lp(store) ‖ context, so it can
  // never be confused with a keyring entry. Errors as wrap_key/unwrap_key.
  Status wrap_secret(ByteView context, ByteView secret,
                     MutableByteView out) const;
  Status unwrap_secret(ByteView context, ByteView wrapped,
                       MutableByteView out) const;

  size_t size() const { return slots_.size(); }
  const KeyEntryInfo& entry(size_t index) const { return slots_[index].info; }

  // Seals `plaintext` as a v1 record under the primary data key of `scope`.
  // out must be plaintext.size() + 70 bytes. Errors: kUnknownKey when the
  // scope has no data key; otherwise as record_seal.
  Status encrypt(std::string_view scope, ByteView context, ByteView plaintext,
                 MutableByteView out) const;

  // Opens a v1 record made by any data key of this keyring. Errors:
  // kUnknownKey when the record names no data key held here; kAuthFailed for
  // anything else that does not verify; kInvalidArgument for a wrong out
  // size.
  Status decrypt(ByteView record, ByteView context, MutableByteView out) const;

  // "<keyId>:<hex>" for `value` under the primary index key of
  // "<scope>/<field>", or under index key `key_id` of that scope when it is
  // not 0. Errors: kUnknownKey when there is no such index key;
  // kInvalidArgument as blind_index_hex().
  Result<std::string> blind_index(std::string_view scope,
                                  std::string_view field, ByteView value,
                                  Normalization mode, unsigned bits,
                                  uint32_t key_id = 0) const;

  // Wipes every key and the KEK; the keyring is then empty, and every
  // operation that needs a key returns kLocked (as after a move).
  void destroy();

 private:
  struct Slot {
    KeyEntryInfo info;
    HmacSha256Key key;  // the key, kept as its precomputed HMAC pads
  };

  Keyring() = default;
  std::vector<uint8_t> wrap_context(uint32_t id, KeyKind kind,
                                    std::string_view scope) const;
  std::vector<uint8_t> secret_context(ByteView context) const;
  const Slot* find(uint32_t id) const;
  Slot* find(uint32_t id);
  Slot* primary(KeyKind kind, std::string_view scope);
  const Slot* primary(KeyKind kind, std::string_view scope) const;

  HmacSha256Key kek_;
  std::string store_;
  std::string kek_id_;
  uint8_t suite_ = kSuiteAes256GcmCommitted;
  std::vector<Slot> slots_;
};

// Whether `scope` is a valid scope for `kind` (see the header comment).
bool valid_scope(KeyKind kind, std::string_view scope);

}  // namespace enveil

#endif  // ENVEIL_KEYRING_H_
