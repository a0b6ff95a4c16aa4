// JsonOut: a thin chaining wrapper over RapidJSON's Writer for the API's JSON documents.
// RapidJSON rather than Boost.JSON for output: it writes doubles as plain decimals (0.21, not
// 2.1E-1) and streams without building a document first.
// Thread-safety: one instance per document, used by one thread.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary {

//! A compact JSON writer for the API's own documents and the access log.
class JsonOut {
 public:
  JsonOut() : w_(buf_) {}
  JsonOut& Key(std::string_view k) {
    w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
  }
  JsonOut& String(std::string_view v) {
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  JsonOut& Bool(bool v) {
    w_.Bool(v);
    return *this;
  }
  JsonOut& Double(double v) {
    w_.Double(v);
    return *this;
  }
  JsonOut& Int(int64_t v) {
    w_.Int64(v);
    return *this;
  }
  JsonOut& Null() {
    w_.Null();
    return *this;
  }
  JsonOut& StartObject() {
    w_.StartObject();
    return *this;
  }
  JsonOut& EndObject() {
    w_.EndObject();
    return *this;
  }
  JsonOut& StartArray() {
    w_.StartArray();
    return *this;
  }
  JsonOut& EndArray() {
    w_.EndArray();
    return *this;
  }
  //! Writes `json`, a complete JSON value made by another JsonOut, as the next value.
  JsonOut& Raw(std::string_view json) {
    w_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
  }
  std::string Take() { return {buf_.GetString(), buf_.GetSize()}; }

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

}  // namespace tributary
