#include "core/json_value.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/system/system_error.hpp>
#include <charconv>
#include <cmath>
#include <string>

#include "core/json_out.h"

namespace tributary {
namespace {

namespace json = boost::json;
using boost::system::error_code;

//! basic_parser's handler that builds a value like boost::json::parser does, except that a
//! double is converted from its text by std::from_chars (exact) rather than taken from
//! Boost's approximate conversion.
class PreciseHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value Release() { return stack_.release(); }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    stack_.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    stack_.push_string(s);
    return true;
  }
  // A number split across writes arrives in parts; ParseJson writes the whole text at once,
  // so this only happens if that changes, and the parts are kept all the same.
  bool on_number_part(json::string_view s, error_code&) {
    number_text_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    number_text_.clear();
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    number_text_.clear();
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double approximate, json::string_view s, error_code&) {
    std::string_view text(s.data(), s.size());
    if (!number_text_.empty()) {
      number_text_.append(s.data(), s.size());
      text = number_text_;
    }
    double exact = approximate;
    // from_chars rejects a leading '+' only; JSON has none. Out of range (1e999) keeps
    // Boost's answer (infinity), as boost::json::parse would.
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), exact);
    if (error != std::errc() || end != text.data() + text.size()) exact = approximate;
    number_text_.clear();
    stack_.push_double(exact);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

 private:
  json::value_stack stack_;
  std::string number_text_;
};

}  // namespace

json::value ParseJson(std::string_view text, error_code& ec, const json::parse_options& options,
                      std::size_t* stop_offset) {
  json::basic_parser<PreciseHandler> parser(options);
  ec = {};
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) {
    ec = json::error::extra_data;
  }
  if (stop_offset != nullptr) *stop_offset = used;
  if (ec) return nullptr;
  return parser.handler().Release();
}

json::value ParseJson(std::string_view text, const json::parse_options& options) {
  error_code ec;
  json::value value = ParseJson(text, ec, options);
  if (ec) throw boost::system::system_error(ec);
  return value;
}

std::string JsonKindName(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a number with a fraction";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

void WriteJsonValue(JsonOut& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      out.Null();
      break;
    case json::kind::bool_:
      out.Bool(value.get_bool());
      break;
    case json::kind::int64:
      out.Int(value.get_int64());
      break;
    case json::kind::uint64:
      out.Raw(std::to_string(value.get_uint64()));
      break;
    case json::kind::double_:
      if (std::isfinite(value.get_double())) {
        out.Double(value.get_double());
      } else {
        out.Null();
      }
      break;
    case json::kind::string:
      out.String(std::string_view(value.get_string()));
      break;
    case json::kind::array:
      out.StartArray();
      for (const json::value& item : value.get_array()) WriteJsonValue(out, item);
      out.EndArray();
      break;
    case json::kind::object:
      out.StartObject();
      for (const auto& [key, item] : value.get_object()) {
        out.Key(std::string_view(key));
        WriteJsonValue(out, item);
      }
      out.EndObject();
      break;
  }
}

}  // namespace tributary
