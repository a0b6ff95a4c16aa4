// Owning wrappers around the DuckDB C API's handles, so every early return releases them.
//
// The C API hands out opaque pointers that must be destroyed with a matching function, even
// after a failed call (e.g. a failed prepare). Handle<T, Destroy> does that in its destructor.
// Thread-safety: as the wrapped handle; a handle is used by one thread at a time.
#pragma once

#include <duckdb.h>

#include <string>
#include <utility>

namespace tributary::duckdb_internal {

//! Owns one DuckDB handle of pointer type T released with Destroy(T*).
template <typename T, void (*Destroy)(T*)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T handle) : handle_(handle) {}
  ~Handle() { Reset(); }
  Handle(Handle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  T get() const { return handle_; }
  //! For C API out-parameters; releases any handle held before.
  T* out() {
    Reset();
    return &handle_;
  }
  explicit operator bool() const { return handle_ != nullptr; }
  T release() { return std::exchange(handle_, nullptr); }
  void Reset() {
    if (handle_ != nullptr) Destroy(&handle_);
    handle_ = nullptr;
  }

 private:
  T handle_ = nullptr;
};

using DatabaseHandle = Handle<duckdb_database, duckdb_close>;
using ConnectionHandle = Handle<duckdb_connection, duckdb_disconnect>;
using ConfigHandle = Handle<duckdb_config, duckdb_destroy_config>;
using PreparedHandle = Handle<duckdb_prepared_statement, duckdb_destroy_prepare>;
using ExtractedHandle = Handle<duckdb_extracted_statements, duckdb_destroy_extracted>;
using LogicalTypeHandle = Handle<duckdb_logical_type, duckdb_destroy_logical_type>;
using ChunkHandle = Handle<duckdb_data_chunk, duckdb_destroy_data_chunk>;
using ValueHandle = Handle<duckdb_value, duckdb_destroy_value>;

//! A duckdb_result, which is a struct rather than a pointer; destroyed once it was filled in
//! by a query call, whether that call succeeded or not.
class ResultHandle {
 public:
  ResultHandle() = default;
  ~ResultHandle() { Reset(); }
  ResultHandle(const ResultHandle&) = delete;
  ResultHandle& operator=(const ResultHandle&) = delete;

  //! For C API out-parameters; marks the result as needing destruction.
  duckdb_result* out() {
    Reset();
    filled_ = true;
    return &result_;
  }
  duckdb_result* get() { return &result_; }
  void Reset() {
    if (filled_) duckdb_destroy_result(&result_);
    filled_ = false;
    result_ = duckdb_result{};
  }

 private:
  duckdb_result result_{};
  bool filled_ = false;
};

//! Takes a string the C API allocated (duckdb_free) and returns it as std::string.
inline std::string TakeDuckString(char* text) {
  if (text == nullptr) return {};
  std::string out(text);
  duckdb_free(text);
  return out;
}

}  // namespace tributary::duckdb_internal
