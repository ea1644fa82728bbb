#include "hygiene/status.h"

namespace canon {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kUnsupportedMediaType: return "unsupported_media_type";
    case Code::kTooLarge: return "too_large";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kUnavailable: return "unavailable";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (where_.empty()) return message_;
  return message_ + " (at " + where_ + ")";
}

}  // namespace canon
