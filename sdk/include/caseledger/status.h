// Status and Result<T>: how every public CaseLedger call reports success or failure.
//
// No exception crosses the public API or the plugin ABI. A call that can fail returns a
// Status, or a Result<T> that holds either a T or a non-OK Status. Both are [[nodiscard]].
//
//   caseledger::Result<caseledger::AppendResult> r = ledger->Append(request);
//   if (!r.ok()) {
//     if (r.status().code() == caseledger::StatusCode::kWrongExpectedVersion)
//       retry_from(r.status().actual_version());
//     return r.status();
//   }
//   use(r->first_position);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace caseledger {
inline namespace v1 {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,       // The caller's input is malformed; the message names what and where.
  kNotFound,              // A named stream, position, file or ledger does not exist.
  kWrongExpectedVersion,  // Optimistic concurrency: actual_version() carries the stream's version.
  kIdempotencyConflict,   // An event id was already used for other content, or a retry is partial.
  kCorruption,            // Stored bytes fail a check; the message names the position or file.
  kIOError,               // The operating system refused a read, write or sync.
  kBusy,                  // Another process owns the ledger directory.
  kStopped,               // The ledger stopped accepting appends after a failure (see message).
  kAlreadyExists,         // Creating something that exists, e.g. `init` on a ledger directory.
  kTimeout,               // A wait with a deadline ran out.
  kCancelled,             // The operation was abandoned because the ledger or call is closing.
  kUnauthenticated,       // The caller presented no token, or one that is unknown or revoked.
  kPermissionDenied,      // The caller's role and scope do not allow the operation (names both).
  kLastCode = kPermissionDenied,  // For iterating over the codes; not a code of its own.
};

// Returns the stable English name of a code, e.g. "WrongExpectedVersion".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status IdempotencyConflict(std::string m) {
    return {StatusCode::kIdempotencyConflict, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
  static Status Stopped(std::string m) { return {StatusCode::kStopped, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Timeout(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  // `actual_version` is the stream's current version, -1 when the stream does not exist.
  static Status WrongExpectedVersion(std::string m, int64_t actual_version) {
    Status s(StatusCode::kWrongExpectedVersion, std::move(m));
    s.actual_version_ = actual_version;
    return s;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Set only for kWrongExpectedVersion: the stream's version when the append was checked
  // (-1: no stream).
  std::optional<int64_t> actual_version() const { return actual_version_; }

  // "OK", or "<CodeName>: <message>".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::optional<int64_t> actual_version_;
};

// Holds a T on success or a non-OK Status on failure. Accessing value() of a failed
// Result is a programming error (it aborts in every build).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(state_).ok())
      state_ = Status(StatusCode::kInvalidArgument, "OK status used as a Result error");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(state_);
  }
  T& value() & { return std::get<T>(Checked()); }
  const T& value() const& { return std::get<T>(Checked()); }
  T&& value() && { return std::get<T>(std::move(Checked())); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status>& Checked() {
    if (!ok()) AbortOnBadAccess(std::get<Status>(state_));
    return state_;
  }
  const std::variant<T, Status>& Checked() const {
    if (!ok()) AbortOnBadAccess(std::get<Status>(state_));
    return state_;
  }
  [[noreturn]] static void AbortOnBadAccess(const Status& status);

  std::variant<T, Status> state_;
};

namespace internal {
[[noreturn]] void AbortWithStatus(const char* what, const Status& status);
}  // namespace internal

template <typename T>
void Result<T>::AbortOnBadAccess(const Status& status) {
  internal::AbortWithStatus("Result::value() on an error", status);
}

}  // namespace v1
}  // namespace caseledger

// Returns early from the enclosing function with the status of `expr` if it is not OK.
#define CASELEDGER_RETURN_IF_ERROR(expr)                     \
  do {                                                       \
    ::caseledger::Status caseledger_status_ = (expr);        \
    if (!caseledger_status_.ok()) return caseledger_status_; \
  } while (false)

#define CASELEDGER_CONCAT_INNER_(a, b) a##b
#define CASELEDGER_CONCAT_(a, b) CASELEDGER_CONCAT_INNER_(a, b)
// `CASELEDGER_ASSIGN_OR_RETURN(auto x, MakeX());` assigns the value or returns the error.
#define CASELEDGER_ASSIGN_OR_RETURN(lhs, expr)                        \
  auto CASELEDGER_CONCAT_(caseledger_result_, __LINE__) = (expr);     \
  if (!CASELEDGER_CONCAT_(caseledger_result_, __LINE__).ok())         \
    return CASELEDGER_CONCAT_(caseledger_result_, __LINE__).status(); \
  lhs = std::move(CASELEDGER_CONCAT_(caseledger_result_, __LINE__)).value()
