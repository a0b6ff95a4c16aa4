#include "server/http_util.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>

#include "core/encoding.h"
#include "core/json_out.h"
#include "core/text.h"
#include "core/time_util.h"

namespace tributary {

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string NewRequestId() {
  // Per-thread engines avoid a lock on the hot path; ids only need to be unique, not secret.
  thread_local std::mt19937_64 engine{[] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
           static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t n = engine();
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[n & 15];
    n >>= 4;
  }
  return out;
}

bool WantsCsv(std::string_view accept) {
  std::string a = AsciiLower(accept);
  size_t csv = a.find("text/csv");
  if (csv == std::string::npos) return false;
  size_t json = a.find("application/json");
  return json == std::string::npos || csv < json;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto invalid = [&] {
    return InvalidArgument("invalid listen address '" + std::string(text) +
                           "': expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
  };
  ListenAddress out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid();
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid();
    out.host = std::string(text.substr(0, colon));
    // A bare IPv6 address without brackets is ambiguous about where the port starts.
    if (out.host.find(':') != std::string::npos) return invalid();
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty() || port_text.empty()) return invalid();
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
    return invalid();
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

std::string ErrorBody(std::string_view code, std::string_view message,
                      std::string_view request_id) {
  JsonOut out;
  out.StartObject().Key("error").StartObject();
  out.Key("code").String(code);
  out.Key("message").String(message);
  out.Key("requestId").String(request_id);
  out.EndObject().EndObject();
  return out.Take();
}

std::string NowIso8601() {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return FormatTimestamp(micros);
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2" and a trailing '&' are harmless
    size_t eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    std::replace(name.begin(), name.end(), '+', ' ');
    std::replace(value.begin(), value.end(), '+', ' ');
    std::optional<std::string> decoded_name = PercentDecode(name);
    std::optional<std::string> decoded_value = PercentDecode(value);
    if (!decoded_name || !decoded_value) {
      return InvalidArgument("malformed percent-escape in the query string near '" +
                             std::string(pair.substr(0, 64)) + "'; escape '%' as %25");
    }
    if (decoded_name->empty()) {
      return InvalidArgument("a query parameter has no name near '" +
                             std::string(pair.substr(0, 64)) + "'; write name=value");
    }
    pairs.emplace_back(std::move(*decoded_name), std::move(*decoded_value));
  }
  return pairs;
}

}  // namespace tributary
