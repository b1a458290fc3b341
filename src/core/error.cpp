#include "core/error.hpp"

namespace helpline {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kBadRequest: return "bad_request";
    case Code::kInvalidJson: return "invalid_json";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kForbidden: return "forbidden";
    case Code::kBadOrigin: return "bad_origin";
    case Code::kNotFound: return "not_found";
    case Code::kMethodNotAllowed: return "method_not_allowed";
    case Code::kAlreadyClaimed: return "already_claimed";
    case Code::kInvalidTransition: return "invalid_transition";
    case Code::kEmailTaken: return "email_taken";
    case Code::kTooLarge: return "too_large";
    case Code::kUnsupportedMedia: return "unsupported_media_type";
    case Code::kValidationFailed: return "validation_failed";
    case Code::kInvalidImage: return "invalid_image";
    case Code::kImageTooLarge: return "image_too_large";
    case Code::kRateLimited: return "rate_limited";
    case Code::kInternal: return "internal";
    case Code::kUnavailable: return "unavailable";
  }
  return "internal";
}

int HttpStatus(Code code) {
  switch (code) {
    case Code::kBadRequest:
    case Code::kInvalidJson: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kForbidden:
    case Code::kBadOrigin: return 403;
    case Code::kNotFound: return 404;
    case Code::kMethodNotAllowed: return 405;
    case Code::kAlreadyClaimed:
    case Code::kInvalidTransition:
    case Code::kEmailTaken: return 409;
    case Code::kTooLarge: return 413;
    case Code::kUnsupportedMedia: return 415;
    case Code::kValidationFailed:
    case Code::kInvalidImage:
    case Code::kImageTooLarge: return 422;
    case Code::kRateLimited: return 429;
    case Code::kInternal: return 500;
    case Code::kUnavailable: return 503;
  }
  return 500;
}

}  // namespace helpline
