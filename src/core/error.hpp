#pragma once
// Errors as values. Domain code returns Result<T>; one function (HttpStatus)
// maps an error code to the HTTP status of the contract's error table.
#include <expected>
#include <string>
#include <utility>

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

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> Fail(Code code, std::string message, std::string field = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(field), 0});
}

const char* CodeName(Code code);   // "validation_failed"
int HttpStatus(Code code);         // 422

}  // namespace helpline
