#pragma once
// Errors as values. Domain code returns Result<T>; one function (HttpStatus)
// maps an error code to the HTTP status of the contract's error table.
#include <cassert>
#include <string>
#include <utility>
#include <type_traits>
#include <variant>

namespace helpline {

enum class Code {
  kBadRequest,        // 400 bad_request
  kInvalidJson,       // 400 invalid_json
  kUnauthenticated,   // 401
  kForbidden,         // 403 forbidden
  kBadOrigin,         // 403 bad_origin
  kNotFound,          // 404
  kMethodNotAllowed,  // 405
  kAlreadyClaimed,    // 409
  kInvalidTransition, // 409
  kEmailTaken,        // 409
  kTooLarge,          // 413
  kUnsupportedMedia,  // 415 unsupported_media_type
  kValidationFailed,  // 422
  kInvalidImage,      // 422
  kImageTooLarge,     // 422
  kRateLimited,       // 429
  kInternal,          // 500
  kUnavailable,       // 503
};

struct Error {
  Code code = Code::kInternal;
  std::string message;
  std::string field;        // empty when no single field is at fault
  int retry_after_s = 0;    // for kRateLimited
};

// A failed Result, as std::unexpected. Kept in-house rather than std::expected
// because the fuzz targets are built with Debian's clang 14, whose view of
// libstdc++ 12 has no <expected> (docs/decisions/004-fuzzing.md).
struct Unexpected {
  Error error;
  explicit Unexpected(Error e) : error(std::move(e)) {}
};

// Result<T>: a value or an Error; the subset of std::expected the code uses.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}  // as std::expected (co_spawn needs it)
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}                 // NOLINT: implicit like expected
  Result(Unexpected failure) : v_(std::in_place_index<1>, std::move(failure.error)) {}  // NOLINT
  template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, Result> &&
             !std::is_same_v<std::remove_cvref_t<U>, Unexpected> && !std::is_same_v<std::remove_cvref_t<U>, T>)
  Result(U&& value) : v_(std::in_place_index<0>, T(std::forward<U>(value))) {}     // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!has_value()); return std::get<1>(v_); }
  Error& error() & { assert(!has_value()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

inline Unexpected Fail(Code code, std::string message, std::string field = {}) {
  return Unexpected(Error{code, std::move(message), std::move(field), 0});
}

const char* CodeName(Code code);   // "validation_failed"
int HttpStatus(Code code);         // 422

}  // namespace helpline
