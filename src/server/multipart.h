// A streaming multipart/form-data parser (RFC 7578) for uploads: bytes are fed as they arrive
// (a boundary may straddle two feeds) and the file part's content is handed to a sink as it is
// parsed, so a multi-GB upload never sits in memory; the other parts are small text fields.
//
// The file part is the part named `file`, else the first part that has a `filename`; a second
// such part, a text field above the field limit, a header block above 16 KiB, a part without
// `Content-Disposition: form-data; name=...`, or a body that ends before the final boundary are
// errors (INVALID_ARGUMENT naming what is wrong).
// Thread-safety: one parser per request, used by one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tributary {

//! The `boundary` parameter of a `multipart/form-data` Content-Type; INVALID_ARGUMENT when it is
//! missing or malformed. Quoted boundaries are unquoted.
Result<std::string> MultipartBoundary(std::string_view content_type);

//! Whether `content_type` is multipart/form-data (any parameters, any case).
bool IsMultipartFormData(std::string_view content_type);

//! The last path component of a client-given file name ("C:\\x\\a.csv" and "x/a.csv" give
//! "a.csv"); "" for names that are empty, "." or "..".
std::string FileNameOnly(std::string_view name);

class MultipartParser {
 public:
  //! Receives the file part's bytes in order; an error stops the parse and is returned by Feed.
  using FileSink = std::function<Status(std::string_view bytes)>;

  static constexpr size_t kDefaultMaxFieldBytes = 64 << 10;
  static constexpr size_t kMaxHeaderBytes = 16 << 10;
  static constexpr size_t kMaxFields = 100;

  MultipartParser(std::string boundary, FileSink sink,
                  size_t max_field_bytes = kDefaultMaxFieldBytes);

  //! Parses the next bytes of the body. After an error the parser stays failed.
  Status Feed(std::string_view bytes);
  //! Call after the last byte: INVALID_ARGUMENT when the final boundary was not seen, or when
  //! the body had no file part.
  Status Finish();

  //! The final boundary was seen (later bytes, the epilogue, are ignored).
  bool done() const { return state_ == State::kDone; }
  bool has_file() const { return file_seen_; }
  //! The file part's `filename` (a name only, see FileNameOnly) and Content-Type.
  const std::string& filename() const { return filename_; }
  const std::string& file_content_type() const { return file_content_type_; }
  //! Bytes handed to the sink so far.
  uint64_t file_bytes() const { return file_bytes_; }
  //! The other parts, by name (a repeated name keeps the last value).
  const std::map<std::string, std::string>& fields() const { return fields_; }

 private:
  enum class State { kPreamble, kAfterBoundary, kHeaders, kBody, kDone, kFailed };

  Status Fail(std::string message);
  Status ParseHeaders(std::string_view block);
  Status Emit(std::string_view bytes);

  std::string delimiter_;  // "\r\n--" + boundary
  FileSink sink_;
  size_t max_field_bytes_;
  State state_ = State::kPreamble;
  Status failure_;
  // Bytes received but not yet consumed (at most a delimiter's worth in kBody).
  std::string pending_;
  bool file_seen_ = false;
  bool in_file_ = false;
  std::string part_name_;
  std::string field_value_;
  std::string filename_;
  std::string file_content_type_;
  uint64_t file_bytes_ = 0;
  std::map<std::string, std::string> fields_;
};

}  // namespace tributary
