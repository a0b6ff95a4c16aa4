#include "connectors/prometheus/prometheus_response.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

namespace tributary::prometheus {

namespace {

namespace od = simdjson::ondemand;

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  int64_t unix_ms = 0;
  double value = 0;
};

struct Series {
  Labels labels;  // sorted by name
  std::vector<Sample> samples;
};

void Pad(std::string& body) {
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  }
}

od::document Iterate(od::parser& parser, std::string& body) {
  Pad(body);
  return parser.iterate(body.data(), body.size(), body.capacity());
}

// Prometheus writes timestamps as seconds with up to three decimals.
int64_t ToUnixMs(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * 1000.0));
}

// Sample values are strings: "1", "0.25", "NaN", "+Inf", "-Inf", "1e+06".
double ParseSampleValue(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "+Inf" || text == "Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  const std::string copy(text);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || *end != '\0') {
    throw std::invalid_argument("sample value '" + copy + "' is not a number");
  }
  return v;
}

// [<unix seconds>, "<value>"]
std::pair<double, std::string_view> ReadPair(od::array pair) {
  double ts = 0;
  std::string_view text;
  int index = 0;
  for (auto element : pair) {
    if (index == 0) {
      ts = element.get_double();
    } else if (index == 1) {
      text = element.get_string();
    }
    ++index;
  }
  if (index != 2) {
    throw std::invalid_argument("a sample is not a [time, \"value\"] pair");
  }
  return {ts, text};
}

Sample ReadSample(od::array pair) {
  auto [ts, text] = ReadPair(pair);
  return Sample{ToUnixMs(ts), ParseSampleValue(text)};
}

Labels ReadLabels(od::object metric) {
  Labels labels;
  for (auto field : metric) {
    std::string_view key = field.unescaped_key();
    std::string name(key);
    std::string_view value = field.value().get_string();
    labels.emplace_back(std::move(name), std::string(value));
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

std::string ColumnNameForLabel(const std::string& label) {
  if (label == "timestamp" || label == "value") return "label_" + label;
  return label;
}

// Builds the table from parsed series, applying the limits row by row.
QueryResult BuildTable(const std::vector<Series>& series, bool more_rows_dropped,
                       const ResultLimits& limits) {
  std::set<std::string> names;
  for (const auto& s : series) {
    for (const auto& [name, value] : s.labels) names.insert(name);
  }
  std::vector<ColumnInfo> columns;
  columns.push_back(ColumnInfo{"timestamp", ColumnType::kTimestamp, "timestamp"});
  std::map<std::string, size_t> index;
  for (const auto& name : names) {
    index[name] = columns.size();
    columns.push_back(ColumnInfo{ColumnNameForLabel(name), ColumnType::kString, "label"});
  }
  const size_t value_column = columns.size();
  columns.push_back(ColumnInfo{"value", ColumnType::kDouble, "float"});
  QueryResult result(std::move(columns));

  int64_t rows = 0;
  for (const auto& s : series) {
    // The cells of this series' labels, by column.
    std::vector<const std::string*> cells(value_column, nullptr);
    for (const auto& [name, value] : s.labels) cells[index[name]] = &value;
    for (const auto& sample : s.samples) {
      if (limits.max_rows > 0 && rows >= limits.max_rows) {
        result.stats().truncated = true;
        result.stats().truncated_by = "rows";
        return result;
      }
      if (limits.max_bytes > 0 && static_cast<int64_t>(result.ApproxBytes()) >= limits.max_bytes) {
        result.stats().truncated = true;
        result.stats().truncated_by = "bytes";
        return result;
      }
      result.column(0).AppendInt(sample.unix_ms * 1000);
      for (size_t c = 1; c < value_column; ++c) {
        if (cells[c]) {
          result.column(c).AppendString(*cells[c]);
        } else {
          result.column(c).AppendNull();
        }
      }
      result.column(value_column).AppendDouble(sample.value);
      ++rows;
    }
  }
  if (more_rows_dropped) {
    result.stats().truncated = true;
    result.stats().truncated_by = "rows";
  }
  return result;
}

std::string ShortText(std::string_view text) {
  constexpr size_t kMax = 300;
  std::string out(text.substr(0, kMax));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace

Result<QueryResult> ParseQueryResponse(std::string& body, const ResultLimits& limits) {
  try {
    od::parser parser;
    od::document doc = Iterate(parser, body);
    od::object root = doc.get_object();
    std::string_view status = root["status"].get_string();
    if (status != "success") {
      return QueryError("Prometheus answered status \"" + std::string(status) + "\" with HTTP 200");
    }
    od::object data = root["data"].get_object();
    std::string_view result_type = data["resultType"].get_string();
    std::string type(result_type);
    if (type == "scalar" || type == "string") {
      auto [ts, text] = ReadPair(data["result"].get_array());
      QueryResult result(
          {ColumnInfo{"timestamp", ColumnType::kTimestamp, "timestamp"},
           ColumnInfo{"value", type == "scalar" ? ColumnType::kDouble : ColumnType::kString,
                      type == "scalar" ? "float" : "string"}});
      result.column(0).AppendInt(ToUnixMs(ts) * 1000);
      if (type == "scalar") {
        result.column(1).AppendDouble(ParseSampleValue(text));
      } else {
        result.column(1).AppendString(std::string(text));
      }
      return result;
    }
    if (type != "vector" && type != "matrix") {
      return QueryError("Prometheus sent an unknown resultType \"" + type + "\"");
    }
    const bool matrix = type == "matrix";
    // Matrices come sorted by labels; samples past the row limit are not kept. Instant vectors
    // have one sample per series and are sorted here, so all of them are kept first.
    const int64_t keep = matrix && limits.max_rows > 0 ? limits.max_rows : -1;
    int64_t kept = 0;
    bool dropped = false;
    std::vector<Series> series;
    for (auto element : data["result"].get_array()) {
      od::object object = element.get_object();
      Series s;
      for (auto field : object) {
        std::string_view key = field.unescaped_key();
        if (key == "metric") {
          s.labels = ReadLabels(field.value().get_object());
        } else if (key == "value") {
          s.samples.push_back(ReadSample(field.value().get_array()));
        } else if (key == "values") {
          for (auto pair : field.value().get_array()) {
            if (keep >= 0 && kept >= keep) {
              dropped = true;
              continue;  // skipped unread: On-Demand moves past it
            }
            s.samples.push_back(ReadSample(pair.get_array()));
            ++kept;
          }
        } else if (key == "histogram" || key == "histograms") {
          return QueryError(
              "the query returned native histograms, which the prometheus connector cannot "
              "show as a table; wrap them in histogram_quantile(), histogram_count() or "
              "histogram_sum()");
        }
      }
      series.push_back(std::move(s));
    }
    if (!matrix) {
      std::sort(series.begin(), series.end(),
                [](const Series& a, const Series& b) { return a.labels < b.labels; });
    }
    return BuildTable(series, dropped, limits);
  } catch (const simdjson::simdjson_error& e) {
    return QueryError(std::string("Prometheus sent a query answer that is not the documented "
                                  "JSON shape: ") +
                      e.what());
  } catch (const std::invalid_argument& e) {
    return QueryError(std::string("Prometheus sent an unreadable sample: ") + e.what());
  }
}

Status MapErrorResponse(long http_status, std::string_view body,  // NOLINT(google-runtime-int)
                        std::string_view where) {
  if (http_status == 401 || http_status == 403) {
    return Unavailable("authentication failed (HTTP " + std::to_string(http_status) + " from " +
                       std::string(where) + "): check the source's user/password or bearer_token");
  }
  std::string error_type;
  std::string message;
  try {
    std::string copy(body);
    od::parser parser;
    od::document doc = Iterate(parser, copy);
    od::object root = doc.get_object();
    for (auto field : root) {
      std::string_view key = field.unescaped_key();
      if (key == "errorType")
        error_type = std::string(std::string_view(field.value().get_string()));
      if (key == "error") message = std::string(std::string_view(field.value().get_string()));
    }
  } catch (const simdjson::simdjson_error&) {
    error_type.clear();
  }
  if (error_type.empty()) {
    return Unavailable("HTTP " + std::to_string(http_status) + " from " + std::string(where) +
                       " without a Prometheus error body (" + ShortText(body) +
                       "); check that the source's url is the Prometheus base URL, without "
                       "/api/v1");
  }
  if (error_type == "bad_data" || error_type == "execution") return QueryError(message);
  if (error_type == "timeout") return DeadlineExceeded(message);
  if (error_type == "canceled") return Cancelled(message);
  if (error_type == "unavailable") return Unavailable("Prometheus is unavailable: " + message);
  return QueryError("Prometheus " + error_type + " error: " + message);
}

Result<std::vector<std::string>> ParseStringList(std::string& body) {
  try {
    od::parser parser;
    od::document doc = Iterate(parser, body);
    od::object root = doc.get_object();
    std::vector<std::string> out;
    for (auto item : root["data"].get_array()) {
      out.emplace_back(std::string_view(item.get_string()));
    }
    return out;
  } catch (const simdjson::simdjson_error& e) {
    return QueryError(std::string("Prometheus sent a list that is not the documented JSON "
                                  "shape: ") +
                      e.what());
  }
}

Result<std::string> ParseBuildVersion(std::string& body) {
  try {
    od::parser parser;
    od::document doc = Iterate(parser, body);
    od::object root = doc.get_object();
    return std::string(std::string_view(root["data"]["version"].get_string()));
  } catch (const simdjson::simdjson_error& e) {
    return QueryError(std::string("Prometheus sent build information that is not the "
                                  "documented JSON shape: ") +
                      e.what());
  }
}

}  // namespace tributary::prometheus
