// Typed results for the enveil core. Nothing is thrown across the WASM
// boundary: every fallible function returns a Status or a Result<T>.
#ifndef ENVEIL_STATUS_H_
#define ENVEIL_STATUS_H_

#include <optional>
#include <utility>

namespace enveil {

// Stable numeric codes. The JS layer maps each to the string code of
// DESIGN.md §7 (AUTH_FAILED, ...); keep both in step (js/errors.js).
enum class ErrorCode : int {
  kOk = 0,
  kAuthFailed = 1,       // ciphertext, tag, commitment or format did not verify
  kUnknownKey = 2,       // record names a key id the keyring does not hold
  kKeyUnavailable = 3,   // a wrapped key does not unwrap under the given KEK
  kInvalidArgument = 4,  // a length, size or value the API does not accept
  kUnsupported = 5,      // no secure random source, or an unsupported option
  kLocked = 6,           // the keyring was destroyed (or moved from)
};

// A success or an error code. Messages are added by the caller that knows
// which argument was meant; the core never formats secrets into text.
class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  constexpr explicit Status(ErrorCode code) : code_(code) {}
  static constexpr Status Ok() { return Status(); }

  constexpr bool ok() const { return code_ == ErrorCode::kOk; }
  constexpr ErrorCode code() const { return code_; }
  friend constexpr bool operator==(Status a, Status b) {
    return a.code_ == b.code_;
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
};

// A value or an error code (Tink's StatusOr, without exceptions).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(status) {}     // NOLINT: implicit by design
  Result(ErrorCode code) : status_(code) {}      // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  Status status() const { return status_; }
  // Precondition: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace enveil

// Propagates a failed Status from the enclosing function.
#define ENVEIL_RETURN_IF_ERROR(expr)        \
  do {                                      \
    ::enveil::Status enveil_status_ = (expr); \
    if (!enveil_status_.ok()) return enveil_status_; \
  } while (0)

#endif  // ENVEIL_STATUS_H_
