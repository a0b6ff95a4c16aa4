#include "server/multipart.h"

#include <utility>
#include <vector>

#include "core/text.h"

namespace tributary {

namespace {

//! One `key=value` parameter of a header value (after the first `;`), value unquoted.
struct Param {
  std::string key;  // lower case
  std::string value;
};

//! Splits `type; k1=v1; k2="v 2"` into the type (lower case) and its parameters. Quoted values
//! may contain ';' and backslash escapes.
std::string ParseParams(std::string_view value, std::vector<Param>* params) {
  size_t i = 0;
  size_t semi = value.find(';');
  std::string type = AsciiLower(TrimBlanks(value.substr(0, semi)));
  if (semi == std::string_view::npos) return type;
  i = semi + 1;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == ';')) ++i;
    size_t key_start = i;
    while (i < value.size() && value[i] != '=' && value[i] != ';') ++i;
    Param p;
    p.key = AsciiLower(TrimBlanks(value.substr(key_start, i - key_start)));
    if (i < value.size() && value[i] == '=') {
      ++i;
      while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
      if (i < value.size() && value[i] == '"') {
        ++i;
        while (i < value.size() && value[i] != '"') {
          if (value[i] == '\\' && i + 1 < value.size()) ++i;
          p.value.push_back(value[i]);
          ++i;
        }
        if (i < value.size()) ++i;  // the closing quote
        while (i < value.size() && value[i] != ';') ++i;
      } else {
        size_t v_start = i;
        while (i < value.size() && value[i] != ';') ++i;
        p.value = std::string(TrimBlanks(value.substr(v_start, i - v_start)));
      }
    }
    if (!p.key.empty()) params->push_back(std::move(p));
  }
  return type;
}

const Param* FindParam(const std::vector<Param>& params, std::string_view key) {
  for (const Param& p : params) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 80)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  return out;
}

}  // namespace

bool IsMultipartFormData(std::string_view content_type) {
  std::vector<Param> params;
  return ParseParams(content_type, &params) == "multipart/form-data";
}

Result<std::string> MultipartBoundary(std::string_view content_type) {
  std::vector<Param> params;
  std::string type = ParseParams(content_type, &params);
  if (type != "multipart/form-data") {
    return InvalidArgument("the Content-Type is '" + Printable(content_type) +
                           "', not multipart/form-data");
  }
  const Param* boundary = FindParam(params, "boundary");
  if (!boundary || boundary->value.empty()) {
    return InvalidArgument(
        "the multipart/form-data Content-Type has no boundary parameter (e.g. "
        "'multipart/form-data; boundary=XYZ')");
  }
  if (boundary->value.size() > 200) {
    return InvalidArgument("the multipart boundary is longer than 200 characters");
  }
  return boundary->value;
}

std::string FileNameOnly(std::string_view name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
  }
  if (out == "." || out == "..") out.clear();
  return out;
}

MultipartParser::MultipartParser(std::string boundary, FileSink sink, size_t max_field_bytes)
    : sink_(std::move(sink)), max_field_bytes_(max_field_bytes) {
  delimiter_.append("\r\n--").append(boundary);
  // The first boundary may open the body without a line break before it: parse as if the body
  // started with one.
  pending_ = "\r\n";
}

Status MultipartParser::Fail(std::string message) {
  state_ = State::kFailed;
  failure_ = InvalidArgument(std::move(message));
  pending_.clear();
  return failure_;
}

Status MultipartParser::Emit(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  if (in_file_) {
    file_bytes_ += bytes.size();
    Status st = sink_(bytes);
    if (!st.ok()) {
      state_ = State::kFailed;
      failure_ = st;
      pending_.clear();
    }
    return st;
  }
  if (field_value_.size() + bytes.size() > max_field_bytes_) {
    return Fail("the multipart field '" + Printable(part_name_) + "' is larger than " +
                std::to_string(max_field_bytes_ / 1024) +
                " KiB; only the file part may be large (send the file in a part named 'file')");
  }
  field_value_.append(bytes);
  return Status::Ok();
}

Status MultipartParser::ParseHeaders(std::string_view block) {
  std::string disposition;
  std::string content_type;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Fail("a multipart part header has no ':' ('" + Printable(line) + "')");
    }
    std::string name = AsciiLower(TrimBlanks(line.substr(0, colon)));
    std::string_view value = TrimBlanks(line.substr(colon + 1));
    if (name == "content-disposition") {
      disposition = std::string(value);
    } else if (name == "content-type") {
      content_type = std::string(value);
    }
  }
  std::vector<Param> params;
  std::string type = ParseParams(disposition, &params);
  const Param* name = FindParam(params, "name");
  if (type != "form-data" || !name) {
    return Fail(
        "a multipart part has no 'Content-Disposition: form-data; name=\"...\"' header; every "
        "part of a multipart/form-data body needs one");
  }
  const Param* filename = FindParam(params, "filename");
  part_name_ = name->value;
  field_value_.clear();
  if (name->value == "file" || filename) {
    if (file_seen_) {
      return Fail("the multipart body has more than one file part (the second is '" +
                  Printable(name->value) + "'); send one file per upload");
    }
    file_seen_ = true;
    in_file_ = true;
    filename_ = filename ? FileNameOnly(filename->value) : std::string();
    file_content_type_ = content_type;
    return Status::Ok();
  }
  in_file_ = false;
  if (fields_.size() >= kMaxFields) {
    return Fail("the multipart body has more than " + std::to_string(kMaxFields) + " fields");
  }
  return Status::Ok();
}

Status MultipartParser::Feed(std::string_view bytes) {
  if (state_ == State::kFailed) return failure_;
  if (state_ == State::kDone) return Status::Ok();
  pending_.append(bytes);
  size_t pos = 0;
  bool more = true;
  while (more) {
    std::string_view rest = std::string_view(pending_).substr(pos);
    switch (state_) {
      case State::kPreamble: {
        size_t found = rest.find(delimiter_);
        if (found == std::string_view::npos) {
          // Discarded, but keep what may be the start of the delimiter.
          if (rest.size() >= delimiter_.size()) pos += rest.size() - (delimiter_.size() - 1);
          more = false;
          break;
        }
        pos += found + delimiter_.size();
        state_ = State::kAfterBoundary;
        break;
      }
      case State::kAfterBoundary: {
        if (rest.size() < 2) {
          more = false;
          break;
        }
        if (rest.substr(0, 2) == "--") {
          state_ = State::kDone;
          pending_.clear();
          return Status::Ok();
        }
        size_t eol = rest.find("\r\n");
        if (eol == std::string_view::npos) {
          if (rest.size() > 256) return Fail("a multipart boundary line does not end with CRLF");
          more = false;
          break;
        }
        for (char c : rest.substr(0, eol)) {
          if (c != ' ' && c != '\t') {
            return Fail("a multipart boundary is followed by '" + Printable(rest.substr(0, eol)) +
                        "' instead of a line break");
          }
        }
        pos += eol + 2;
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        size_t end = rest.substr(0, 2) == "\r\n" ? 0 : rest.find("\r\n\r\n");
        if (end == std::string_view::npos) {
          if (rest.size() > kMaxHeaderBytes) {
            return Fail("a multipart part's headers are larger than " +
                        std::to_string(kMaxHeaderBytes / 1024) + " KiB");
          }
          more = false;
          break;
        }
        if (Status st = ParseHeaders(rest.substr(0, end)); !st.ok()) return st;
        pos += end == 0 ? 2 : end + 4;
        state_ = State::kBody;
        break;
      }
      case State::kBody: {
        size_t found = rest.find(delimiter_);
        if (found == std::string_view::npos) {
          size_t keep = delimiter_.size() - 1;
          if (rest.size() > keep) {
            size_t n = rest.size() - keep;
            if (Status st = Emit(rest.substr(0, n)); !st.ok()) return st;
            pos += n;
          }
          more = false;
          break;
        }
        if (Status st = Emit(rest.substr(0, found)); !st.ok()) return st;
        if (!in_file_) fields_[part_name_] = std::move(field_value_);
        field_value_.clear();
        in_file_ = false;
        pos += found + delimiter_.size();
        state_ = State::kAfterBoundary;
        break;
      }
      case State::kDone:
      case State::kFailed:
        more = false;
        break;
    }
  }
  pending_.erase(0, pos);
  return Status::Ok();
}

Status MultipartParser::Finish() {
  if (state_ == State::kFailed) return failure_;
  if (state_ != State::kDone) {
    return Fail("the multipart body ended before its final boundary ('--" +
                Printable(std::string_view(delimiter_).substr(4)) +
                "--'); the upload was cut short or is not multipart/form-data");
  }
  if (!file_seen_) {
    return Fail("the multipart body has no file part; send the file in a part named 'file'");
  }
  return Status::Ok();
}

}  // namespace tributary
