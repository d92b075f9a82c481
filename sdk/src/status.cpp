#include "caseledger/status.h"

#include <cstdio>
#include <cstdlib>

namespace caseledger {
inline namespace v1 {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kWrongExpectedVersion:
      return "WrongExpectedVersion";
    case StatusCode::kIdempotencyConflict:
      return "IdempotencyConflict";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kIOError:
      return "IOError";
    case StatusCode::kBusy:
      return "Busy";
    case StatusCode::kStopped:
      return "Stopped";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kTimeout:
      return "Timeout";
    case StatusCode::kCancelled:
      return "Cancelled";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  Status copy = *this;
  copy.message_ = context + ": " + message_;
  return copy;
}

namespace internal {
void AbortWithStatus(const char* what, const Status& status) {
  std::fprintf(stderr, "caseledger: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}
}  // namespace internal

}  // namespace v1
}  // namespace caseledger
