// Evidence from Elasticsearch / OpenSearch log indexes through the ES connector's Query DSL:
// per service, a date_histogram of all lines (with the mean latency when configured), one of
// the error lines, and a terms aggregation of the error messages in [start, end)
// (docs/investigate.md). The buckets are offset so that one starts exactly at the window's
// start, so the error totals are sums of whole buckets.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>
#include <string>

#include "investigate/internal.h"

namespace tributary::investigate {

namespace {

namespace json = boost::json;

constexpr int64_t kSecondUs = 1000000;

//! The level filter: the configured levels in lower, upper and capitalised spellings (a
//! keyword's terms compare exactly).
json::value LevelFilter(const std::string& field, const std::vector<std::string>& levels) {
  json::array values;
  for (const auto& level : levels) {
    std::string upper = level;
    std::string title = level;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!title.empty())
      title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    values.emplace_back(level);
    if (upper != level) values.emplace_back(upper);
    if (title != level && title != upper) values.emplace_back(title);
  }
  return json::object{{"terms", json::object{{field, values}}}};
}

json::value Range(const std::string& field, int64_t from_us, int64_t to_us) {
  return json::object{{"range", json::object{{field, json::object{{"gte", from_us / 1000},
                                                                  {"lt", to_us / 1000},
                                                                  {"format", "epoch_millis"}}}}}};
}

std::optional<int64_t> MillisTime(const Value& value) {
  if (value.type == ColumnType::kTimestamp) return value.as_int();
  std::optional<double> ms = NumberOf(value);
  if (ms && std::isfinite(*ms)) return static_cast<int64_t>(std::llround(*ms * 1000));
  if (value.type == ColumnType::kString) return TimeOf(value);
  return std::nullopt;
}

}  // namespace

void GatherLogsElasticsearch(const GatherContext& context, SourceEvidence& evidence) {
  const SourceInvestigateConfig& inv = *context.source->investigate;
  const int64_t step = context.step_seconds;
  int64_t offset = (context.start_us / kSecondUs) % step;
  if (offset < 0) offset += step;
  std::vector<std::string> services = context.services;
  const bool all = services.empty();
  if (all) services.push_back("*");
  int64_t total = 0;
  int64_t baseline_total = 0;
  for (const std::string& service : services) {
    auto filters = [&](bool errors, int64_t from_us) {
      json::array filter;
      if (!all)
        filter.push_back(json::object{{"term", json::object{{inv.service_column, service}}}});
      filter.push_back(Range(inv.time_column, from_us, context.end_us));
      if (errors) filter.push_back(LevelFilter(inv.level_column, inv.error_levels));
      return json::object{{"bool", json::object{{"filter", filter}}}};
    };
    json::object histogram{{"field", inv.time_column},
                           {"fixed_interval", std::to_string(step) + "s"},
                           {"min_doc_count", 1}};
    if (offset != 0) {
      std::string text = "+";
      text.append(std::to_string(offset)).append("s");
      histogram["offset"] = text;
    }
    std::map<int64_t, double> lines;
    std::map<int64_t, double> latency;
    std::map<int64_t, double> errors;
    for (bool error_lines : {false, true}) {
      json::object step_agg{{"date_histogram", histogram}};
      if (!error_lines && !inv.latency_column.empty()) {
        step_agg["aggs"] = json::object{
            {"latency", json::object{{"avg", json::object{{"field", inv.latency_column}}}}}};
      }
      json::object body{{"index", inv.table},
                        {"size", 0},
                        {"query", filters(error_lines, context.baseline_start_us)},
                        {"aggs", json::object{{"steps", step_agg}}}};
      EvidenceQuery query;
      query.purpose =
          std::string(error_lines ? "error lines" : "lines") + " per step of " + service;
      query.query = json::serialize(body);
      Result<QueryResult> result = RunEvidenceQuery(context, evidence, std::move(query));
      if (!result.ok()) {
        FailEvidence(context, evidence, result.status());
        return;
      }
      auto key_col = ColumnIndex(*result, "steps");
      auto count_col = ColumnIndex(*result, "doc_count");
      auto latency_col = ColumnIndex(*result, "latency");
      for (size_t row = 0; row < result->row_count(); ++row) {
        if (!key_col || !count_col) break;
        std::optional<int64_t> t = MillisTime(result->ValueAt(row, *key_col));
        std::optional<double> n = NumberOf(result->ValueAt(row, *count_col));
        if (!t || !n) continue;
        (error_lines ? errors : lines)[*t] = *n;
        if (!error_lines && latency_col) {
          std::optional<double> l = NumberOf(result->ValueAt(row, *latency_col));
          if (l && std::isfinite(*l)) latency[*t] = *l;
        }
      }
    }
    EvidenceSeries error_series{"errors", service, {}, std::nullopt};
    EvidenceSeries latency_series{"latency_ms", service, {}, std::nullopt};
    for (const auto& [t, n] : lines) {
      if (n <= 0 || t >= context.end_us) continue;
      auto it = errors.find(t);
      const double e = it == errors.end() ? 0 : it->second;  // lines but no error: a real 0
      (t >= context.start_us ? total : baseline_total) += std::llround(e);
      error_series.points.push_back({t, e});
      if (auto l = latency.find(t); l != latency.end())
        latency_series.points.push_back({t, l->second});
    }
    evidence.series.push_back(std::move(error_series));
    if (!inv.latency_column.empty()) evidence.series.push_back(std::move(latency_series));

    if (context.top_messages > 0) {
      json::object terms{
          {"terms", json::object{{"field", inv.message_column}, {"size", context.top_messages}}},
          {"aggs",
           json::object{
               {"first_seen", json::object{{"min", json::object{{"field", inv.time_column}}}}},
               {"last_seen", json::object{{"max", json::object{{"field", inv.time_column}}}}}}}};
      json::object body{{"index", inv.table},
                        {"size", 0},
                        {"query", filters(true, context.start_us)},
                        {"aggs", json::object{{"messages", terms}}}};
      EvidenceQuery query;
      query.purpose = "top error messages of ";
      query.purpose.append(service);
      query.query = json::serialize(body);
      Result<QueryResult> result = RunEvidenceQuery(context, evidence, std::move(query));
      if (!result.ok()) {
        FailEvidence(context, evidence, result.status());
        return;
      }
      auto key_col = ColumnIndex(*result, "messages");
      auto count_col = ColumnIndex(*result, "doc_count");
      auto first_col = ColumnIndex(*result, "first_seen");
      auto last_col = ColumnIndex(*result, "last_seen");
      for (size_t row = 0; row < result->row_count(); ++row) {
        if (!key_col || !count_col) break;
        TopMessage message;
        message.service = all ? std::string() : service;
        Value key = result->ValueAt(row, *key_col);
        if (key.type == ColumnType::kString) message.message = key.as_string();
        message.count = std::llround(NumberOf(result->ValueAt(row, *count_col)).value_or(0));
        if (first_col)
          message.first_seen_us = MillisTime(result->ValueAt(row, *first_col)).value_or(0);
        if (last_col)
          message.last_seen_us = MillisTime(result->ValueAt(row, *last_col)).value_or(0);
        evidence.top_messages.push_back(std::move(message));
      }
    }
  }
  std::stable_sort(evidence.top_messages.begin(), evidence.top_messages.end(),
                   [](const TopMessage& a, const TopMessage& b) { return a.count > b.count; });
  if (static_cast<int64_t>(evidence.top_messages.size()) > context.top_messages) {
    evidence.top_messages.resize(static_cast<size_t>(context.top_messages));
  }
  evidence.errors_total = total;
  evidence.baseline_errors_total = baseline_total;
}

}  // namespace tributary::investigate
