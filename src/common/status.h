// Status and Result<T>: the one error model of Tributary.
//
// Every layer returns Status or Result<T>; errors become HTTP statuses, CLI exit codes or
// JSON error bodies only at the boundary (see ToHttpStatus/ToExitCode). Messages name what
// went wrong and where, and must never contain a secret.
//
// Thread-safety: value types; a const Status or Result may be read from any thread.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tributary {

//! Stable error codes. Their names (ErrorCodeName) are part of the public API.
enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kPermissionDenied,
  kUnavailable,
  kDeadlineExceeded,
  kCancelled,
  kResourceExhausted,
  kConfigError,
  kQueryError,
  kInternal,
  //! A query refused by cost control: its estimated bytes exceed the deny threshold.
  kCostLimit,
  //! Something of that name exists already (e.g. an import named like a source).
  kAlreadyExists,
  //! The request does not fit the object's state (e.g. cancelling a finished import).
  kFailedPrecondition,
  //! The disk is (nearly) full.
  kInsufficientStorage,
};

//! The stable, upper-case name of a code, e.g. "INVALID_ARGUMENT".
std::string_view ErrorCodeName(ErrorCode code);
//! The HTTP status a code maps to at the API boundary.
int ToHttpStatus(ErrorCode code);
//! The CLI exit code: 2 for usage and configuration errors, 1 for runtime failures.
int ToExitCode(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  //! "CODE: message", for logs and CLI output.
  std::string ToString() const;

  //! Prefixes the message with context, keeping the code ("while X: message").
  Status WithContext(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string msg) {
  return {ErrorCode::kInvalidArgument, std::move(msg)};
}
inline Status NotFound(std::string msg) {
  return {ErrorCode::kNotFound, std::move(msg)};
}
inline Status PermissionDenied(std::string msg) {
  return {ErrorCode::kPermissionDenied, std::move(msg)};
}
inline Status Unavailable(std::string msg) {
  return {ErrorCode::kUnavailable, std::move(msg)};
}
inline Status DeadlineExceeded(std::string msg) {
  return {ErrorCode::kDeadlineExceeded, std::move(msg)};
}
inline Status Cancelled(std::string msg) {
  return {ErrorCode::kCancelled, std::move(msg)};
}
inline Status ResourceExhausted(std::string msg) {
  return {ErrorCode::kResourceExhausted, std::move(msg)};
}
inline Status ConfigError(std::string msg) {
  return {ErrorCode::kConfigError, std::move(msg)};
}
inline Status QueryError(std::string msg) {
  return {ErrorCode::kQueryError, std::move(msg)};
}
inline Status AlreadyExists(std::string msg) {
  return {ErrorCode::kAlreadyExists, std::move(msg)};
}
inline Status FailedPrecondition(std::string msg) {
  return {ErrorCode::kFailedPrecondition, std::move(msg)};
}
inline Status InsufficientStorage(std::string msg) {
  return {ErrorCode::kInsufficientStorage, std::move(msg)};
}
inline Status Internal(std::string msg) {
  return {ErrorCode::kInternal, std::move(msg)};
}
inline Status CostLimit(std::string msg) {
  return {ErrorCode::kCostLimit, std::move(msg)};
}

//! A value or an error Status (never an OK status without a value).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : value_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(value_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(value_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(value_);
  }
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace tributary

#define TRIB_CONCAT_INNER(a, b) a##b
#define TRIB_CONCAT(a, b) TRIB_CONCAT_INNER(a, b)

//! Returns the Status from the enclosing function when it is an error.
#define TRIB_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::tributary::Status trib_status_ = (expr);   \
    if (!trib_status_.ok()) return trib_status_; \
  } while (false)

#define TRIB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

//! `TRIB_ASSIGN_OR_RETURN(auto x, F());` unwraps a Result or returns its error.
#define TRIB_ASSIGN_OR_RETURN(lhs, expr) \
  TRIB_ASSIGN_OR_RETURN_IMPL(TRIB_CONCAT(trib_result_, __LINE__), lhs, expr)
