// Evidence from a SQL table of log lines (or the project's llm_logs binding): error counts
// per step and service, an optional latency series, error totals and the top error messages
// (docs/investigate.md).
//
// Every value (times, services, levels) is a bound parameter and every identifier is quoted
// in the dialect's way; only integers computed here (the bucket origin in unix seconds, the
// step, the message limit) are written into the text. Buckets are counted in unix seconds with
// the dialect's epoch function from an origin that puts a bucket boundary exactly at the
// window's start, so the error totals of [start, end) and of the baseline window are sums of
// whole buckets, exact.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "investigate/internal.h"

namespace tributary::investigate {

namespace {

constexpr int64_t kSecondUs = 1000000;

class SqlBuilder {
 public:
  explicit SqlBuilder(std::string dialect) : dialect_(std::move(dialect)) {}

  const std::string& dialect() const { return dialect_; }
  bool backticks() const { return dialect_ == "mysql" || dialect_ == "clickhouse"; }
  //! DuckDB and PostgreSQL compare the time column with bound timestamps; the others compare
  //! its epoch seconds with bound integers (their timestamp storage and binding vary).
  bool timestamp_params() const { return dialect_ == "duckdb" || dialect_ == "postgres"; }

  std::string Quote(std::string_view ident) const {
    const char q = backticks() ? '`' : '"';
    std::string out(1, q);
    for (char c : ident) {
      if (c == q) out.push_back(q);
      out.push_back(c);
    }
    out.push_back(q);
    return out;
  }

  //! schema.table: each part quoted.
  std::string QuoteTable(std::string_view table) const {
    std::string out;
    size_t at = 0;
    while (true) {
      size_t dot = table.find('.', at);
      if (!out.empty()) out.push_back('.');
      out.append(Quote(table.substr(at, dot == std::string_view::npos ? dot : dot - at)));
      if (dot == std::string_view::npos) break;
      at = dot + 1;
    }
    return out;
  }

  std::string Epoch(const std::string& column) const {
    if (dialect_ == "duckdb") return "epoch(CAST(" + column + " AS TIMESTAMP))";
    if (dialect_ == "postgres")
      return "CAST(extract(epoch FROM " + column + ") AS double precision)";
    if (dialect_ == "mysql") return "UNIX_TIMESTAMP(" + column + ")";
    if (dialect_ == "sqlite") return "CAST(strftime('%s', " + column + ") AS INTEGER)";
    return "toUnixTimestamp(" + column + ")";  // clickhouse
  }

  //! The bucket index of `column` from `origin` (unix seconds), never negative in the window.
  std::string Bucket(const std::string& column, int64_t origin, int64_t step) const {
    std::string diff = Cat("(", Epoch(column), " - ", std::to_string(origin), ")");
    std::string s = std::to_string(step);
    if (dialect_ == "duckdb" || dialect_ == "postgres") {
      return "CAST(floor(" + diff + " / " + s + ") AS BIGINT)";
    }
    if (dialect_ == "mysql") return "FLOOR(" + diff + " / " + s + ")";
    if (dialect_ == "sqlite") return "(" + diff + " / " + s + ")";
    return "toInt64(floor(" + diff + " / " + s + "))";
  }

  std::string Param(Value value) {
    params_.push_back(std::move(value));
    if (dialect_ == "duckdb" || dialect_ == "postgres") {
      return Cat("$", std::to_string(params_.size()));
    }
    return "?";
  }

  //! `column` in [from_us, to_us).
  std::string TimeFilter(const std::string& column, int64_t from_us, int64_t to_us) {
    if (timestamp_params()) {
      std::string a = Param(Value::Timestamp(from_us));
      std::string b = Param(Value::Timestamp(to_us));
      return column + " >= " + a + " AND " + column + " < " + b;
    }
    std::string epoch = Epoch(column);
    std::string a = Param(Value::Int64(from_us / kSecondUs));
    std::string b = Param(Value::Int64(to_us / kSecondUs));
    if (dialect_ == "clickhouse") {
      // Its parameters arrive as text: compared with the UInt32 epoch, they need a cast.
      a = Cat("toInt64(", a, ")");
      b = Cat("toInt64(", b, ")");
    }
    return epoch + " >= " + a + " AND " + epoch + " < " + b;
  }

  std::string InList(const std::string& column, const std::vector<std::string>& values) {
    std::string out = column + " IN (";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out.append(", ");
      out.append(Param(Value::String(values[i])));
    }
    out.append(")");
    return out;
  }

  std::vector<Value> TakeParams() { return std::move(params_); }

 private:
  std::string dialect_;
  std::vector<Value> params_;
};

//! How one source's log lines are read: a table with named columns, or llm_logs.
struct LogShape {
  std::string table;
  std::string time;
  //! Empty for llm_logs: every row is the source's service.
  std::string service;
  std::string message;
  std::string latency;
  //! The error condition's column: the level (compared lowercased with the levels), or
  //! llm_logs' status (= 'error').
  std::string level;
  std::vector<std::string> error_levels;
  bool llm = false;
};

LogShape ShapeOf(const GatherContext& context, const SqlBuilder& sql) {
  const SourceInvestigateConfig& inv = *context.source->investigate;
  LogShape shape;
  if (context.dataset) {
    const DatasetBinding& b = *context.dataset;
    auto column = [&](const std::string& canonical) {
      auto it = b.columns.find(canonical);
      return sql.Quote(it == b.columns.end() ? canonical : it->second);
    };
    shape.llm = true;
    shape.table = sql.QuoteTable(b.table);
    shape.time = column("timestamp");
    shape.message = column("error_type");
    shape.latency = column("latency_ms");
    shape.level = column("status");
    return shape;
  }
  shape.table = sql.QuoteTable(inv.table);
  shape.time = sql.Quote(inv.time_column);
  shape.service = sql.Quote(inv.service_column);
  shape.message = sql.Quote(inv.message_column);
  if (!inv.latency_column.empty()) shape.latency = sql.Quote(inv.latency_column);
  shape.level = sql.Quote(inv.level_column);
  shape.error_levels = inv.error_levels;
  return shape;
}

std::string ErrorCondition(SqlBuilder& sql, const LogShape& shape) {
  if (shape.llm) return shape.level + " = " + sql.Param(Value::String("error"));
  std::string out = "lower(" + shape.level + ") IN (";
  for (size_t i = 0; i < shape.error_levels.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(sql.Param(Value::String(shape.error_levels[i])));
  }
  out.append(")");
  return out;
}

}  // namespace

void GatherLogsSql(const GatherContext& context, SourceEvidence& evidence) {
  SqlBuilder sql(context.source->type);
  const LogShape shape = ShapeOf(context, sql);
  const int64_t step = context.step_seconds;
  const int64_t start_s = context.start_us / kSecondUs;
  const int64_t span_s = (context.start_us - context.baseline_start_us) / kSecondUs;
  // A boundary at start; the origin at or before baseline_start keeps indexes non-negative.
  const int64_t origin = start_s - ((span_s + step - 1) / step) * step;
  auto bucket_start_us = [&](int64_t index) { return (origin + index * step) * kSecondUs; };

  // 1. Lines and errors (and mean latency) per step and service.
  {
    std::string cond = ErrorCondition(sql, shape);
    std::string text = "SELECT ";
    if (!shape.llm) text += shape.service + " AS inv_service, ";
    text += sql.Bucket(shape.time, origin, step) + " AS inv_bucket, count(*) AS inv_lines, " +
            "sum(CASE WHEN " + cond + " THEN 1 ELSE 0 END) AS inv_errors";
    if (!shape.latency.empty()) text += ", avg(" + shape.latency + ") AS inv_latency";
    text += " FROM " + shape.table + " WHERE " +
            sql.TimeFilter(shape.time, context.baseline_start_us, context.end_us);
    if (!shape.llm && !context.services.empty()) {
      text += Cat(" AND ", sql.InList(shape.service, context.services));
    }
    text += shape.llm ? " GROUP BY inv_bucket ORDER BY inv_bucket"
                      : " GROUP BY inv_service, inv_bucket ORDER BY inv_service, inv_bucket";
    EvidenceQuery query;
    query.purpose = "error counts per step";
    query.query = std::move(text);
    query.params = sql.TakeParams();
    Result<QueryResult> result = RunEvidenceQuery(context, evidence, std::move(query));
    if (!result.ok()) {
      FailEvidence(context, evidence, result.status());
      return;
    }
    auto service_col = ColumnIndex(*result, "inv_service");
    auto bucket_col = ColumnIndex(*result, "inv_bucket");
    auto lines_col = ColumnIndex(*result, "inv_lines");
    auto errors_col = ColumnIndex(*result, "inv_errors");
    auto latency_col = ColumnIndex(*result, "inv_latency");
    // service -> signal -> points, services in the order asked (then as found).
    std::vector<std::string> order = shape.llm ? context.services : std::vector<std::string>{};
    if (!shape.llm) order = context.services;
    std::map<std::string, std::map<std::string, std::vector<SeriesPoint>>> found;
    int64_t total = 0;
    int64_t baseline_total = 0;
    for (size_t row = 0; row < result->row_count(); ++row) {
      std::optional<double> index =
          bucket_col ? NumberOf(result->ValueAt(row, *bucket_col)) : std::nullopt;
      std::optional<double> lines =
          lines_col ? NumberOf(result->ValueAt(row, *lines_col)) : std::nullopt;
      std::optional<double> errors =
          errors_col ? NumberOf(result->ValueAt(row, *errors_col)) : std::nullopt;
      if (!index || !lines || *lines <= 0) continue;
      const int64_t t = bucket_start_us(static_cast<int64_t>(std::llround(*index)));
      if (t < context.baseline_start_us - step * kSecondUs || t >= context.end_us) continue;
      // A step with lines but no error line is a real 0.
      const double error_count = errors.value_or(0);
      if (t >= context.start_us) {
        total += std::llround(error_count);
      } else {
        baseline_total += std::llround(error_count);
      }
      std::optional<double> latency;
      if (latency_col) latency = NumberOf(result->ValueAt(row, *latency_col));
      auto add = [&](const std::string& service) {
        if (std::find(order.begin(), order.end(), service) == order.end()) order.push_back(service);
        auto& signals = found[service];
        signals["errors"].push_back({t, error_count});
        if (shape.llm) signals["error_rate"].push_back({t, error_count / *lines});
        if (latency && std::isfinite(*latency)) signals["latency_ms"].push_back({t, *latency});
      };
      if (shape.llm) {
        for (const auto& service : context.services) add(service);
      } else {
        if (!service_col) continue;
        Value service = result->ValueAt(row, *service_col);
        if (service.is_null()) continue;
        add(service.type == ColumnType::kString
                ? service.as_string()
                : std::to_string(std::llround(NumberOf(service).value_or(0))));
      }
    }
    evidence.errors_total = total;
    evidence.baseline_errors_total = baseline_total;
    const std::vector<std::string> signals =
        shape.llm ? std::vector<std::string>{"errors", "error_rate", "latency_ms"}
                  : std::vector<std::string>{"errors", "latency_ms"};
    for (const auto& service : order) {
      for (const auto& signal : signals) {
        if (signal == "latency_ms" && shape.latency.empty()) continue;
        EvidenceSeries series;
        series.signal = signal;
        series.service = service;
        auto it = found.find(service);
        if (it != found.end()) {
          auto sit = it->second.find(signal);
          if (sit != it->second.end()) series.points = std::move(sit->second);
        }
        evidence.series.push_back(std::move(series));
      }
    }
  }

  // 2. The top error messages in [start, end).
  if (context.top_messages > 0) {
    // Parameters in the order of their placeholders (`?` dialects bind by position).
    std::string epoch = sql.Epoch(shape.time);
    std::string time_filter = sql.TimeFilter(shape.time, context.start_us, context.end_us);
    std::string cond = ErrorCondition(sql, shape);
    std::string text = "SELECT ";
    if (!shape.llm) text += shape.service + " AS inv_service, ";
    text += "COALESCE(" + shape.message + ", 'unknown') AS inv_message, count(*) AS inv_count, " +
            "min(" + epoch + ") AS inv_first, max(" + epoch + ") AS inv_last FROM " + shape.table +
            " WHERE " + time_filter + " AND " + cond;
    if (!shape.llm && !context.services.empty()) {
      text += Cat(" AND ", sql.InList(shape.service, context.services));
    }
    text += shape.llm ? " GROUP BY inv_message ORDER BY inv_count DESC, inv_message"
                      : " GROUP BY inv_service, inv_message ORDER BY inv_count DESC, "
                        "inv_service, inv_message";
    text += Cat(" LIMIT ", std::to_string(context.top_messages));
    EvidenceQuery query;
    query.purpose = "top error messages";
    query.query = std::move(text);
    query.params = sql.TakeParams();
    Result<QueryResult> result = RunEvidenceQuery(context, evidence, std::move(query));
    if (!result.ok()) {
      FailEvidence(context, evidence, result.status());
      return;
    }
    auto service_col = ColumnIndex(*result, "inv_service");
    auto message_col = ColumnIndex(*result, "inv_message");
    auto count_col = ColumnIndex(*result, "inv_count");
    auto first_col = ColumnIndex(*result, "inv_first");
    auto last_col = ColumnIndex(*result, "inv_last");
    for (size_t row = 0; row < result->row_count(); ++row) {
      TopMessage message;
      if (shape.llm) {
        message.service = context.services.empty() ? std::string() : context.services.front();
      } else if (service_col) {
        Value service = result->ValueAt(row, *service_col);
        if (service.type == ColumnType::kString) message.service = service.as_string();
      }
      if (message_col) {
        Value text_value = result->ValueAt(row, *message_col);
        if (text_value.type == ColumnType::kString) message.message = text_value.as_string();
      }
      if (count_col) {
        message.count = std::llround(NumberOf(result->ValueAt(row, *count_col)).value_or(0));
      }
      if (first_col) message.first_seen_us = TimeOf(result->ValueAt(row, *first_col)).value_or(0);
      if (last_col) message.last_seen_us = TimeOf(result->ValueAt(row, *last_col)).value_or(0);
      evidence.top_messages.push_back(std::move(message));
    }
  }
}

}  // namespace tributary::investigate
