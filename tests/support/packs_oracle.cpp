#include "support/packs_oracle.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

namespace tributary::packs_test {
namespace {

constexpr int64_t kSecond = 1000000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kDay = 24 * kHour;

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// --- parameters and windows (spec: "Time, windows and parameters") --------------------------

class BadParam : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::optional<std::string> Param(const OracleParams& params, const std::string& name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

int64_t ParseInt(const std::string& text, const std::string& name) {
  if (text.empty()) throw BadParam(name + " is empty");
  size_t used = 0;
  long long v = std::stoll(text, &used);
  if (used != text.size()) throw BadParam(name + " is not an integer: " + text);
  return v;
}

// YYYY-MM-DD -> days since the epoch.
int64_t ParseDay(const std::string& text) {
  int y, m, d;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) {
    throw BadParam("bad date " + text);
  }
  return DaysFromCivilDate(y, m, d);
}

// YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+HH:MM|-HH:MM) -> UTC micros.
int64_t ParseIso(std::string text) {
  int64_t offset = 0;
  if (text.size() > 6 && (text[text.size() - 6] == '+' || text[text.size() - 6] == '-') &&
      text[text.size() - 3] == ':') {
    const int64_t sign = text[text.size() - 6] == '-' ? -1 : 1;
    const int64_t hours = ParseInt(text.substr(text.size() - 5, 2), "asOf offset");
    const int64_t minutes = ParseInt(text.substr(text.size() - 2, 2), "asOf offset");
    offset = sign * (hours * 3600 + minutes * 60) * kSecond;
    text = text.substr(0, text.size() - 6) + "Z";
  }
  if (text.size() < 20 || text[10] != 'T' || text.back() != 'Z') throw BadParam("bad asOf " + text);
  int hh, mm, ss;
  if (std::sscanf(text.c_str() + 11, "%2d:%2d:%2d", &hh, &mm, &ss) != 3) {
    throw BadParam("bad asOf " + text);
  }
  int64_t micros = ParseDay(text.substr(0, 10)) * kDay + (hh * 3600 + mm * 60 + ss) * kSecond;
  if (text[19] == '.') {
    std::string frac = text.substr(20, text.size() - 21);
    while (frac.size() < 6) frac.push_back('0');
    micros += ParseInt(frac.substr(0, 6), "asOf fraction");
  }
  return micros - offset;  // local time minus its offset is UTC
}

enum class Kind { kNone, kRange, kDays, kHours, kLast24 };

struct Window {
  int64_t now = 0;
  int64_t from = 0, to = 0, prev_from = 0;
  bool Contains(int64_t t) const { return from <= t && t < to; }
};

Window Resolve(Kind kind, const OracleParams& params) {
  Window w;
  auto as_of = Param(params, "asOf");
  if (!as_of) throw BadParam("the oracle needs asOf");
  w.now = ParseIso(*as_of);
  const int64_t today = FloorDiv(w.now, kDay);
  auto days_window = [&]() {
    int64_t days = Param(params, "days") ? ParseInt(*Param(params, "days"), "days") : 30;
    w.from = (today - (days - 1)) * kDay;
    w.to = (today + 1) * kDay;
  };
  switch (kind) {
    case Kind::kNone:
      break;
    case Kind::kRange: {
      auto start = Param(params, "start"), end = Param(params, "end");
      if (start && end) {
        w.from = ParseDay(*start) * kDay;
        w.to = (ParseDay(*end) + 1) * kDay;
      } else {
        days_window();
      }
      break;
    }
    case Kind::kDays:
      days_window();
      break;
    case Kind::kHours: {
      int64_t hours = Param(params, "hours") ? ParseInt(*Param(params, "hours"), "hours") : 24;
      w.from = w.now - hours * kHour;
      w.to = w.now;
      break;
    }
    case Kind::kLast24:
      w.from = w.now - 24 * kHour;
      w.to = w.now;
      break;
  }
  w.prev_from = w.from - (w.to - w.from);
  return w;
}

// --- JSON -----------------------------------------------------------------------------------

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void Key(Writer& w, const char* k) {
  w.Key(k);
}
void NullableStr(Writer& w, const std::optional<std::string>& s) {
  if (s) {
    Str(w, *s);
  } else {
    w.Null();
  }
}

std::string DateText(int64_t day) {
  int64_t y;
  int m, d;
  CivilFromDaysNumber(day, &y, &m, &d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(y), m, d);
  return buf;
}

double Ratio(double num, double den) {
  return den == 0 ? 0.0 : num / den;
}
double Percent(double num, double den) {
  return den == 0 ? 0.0 : num / den * 100.0;
}

// Groups ordered by a key; std::map on std::string orders by bytes (char_traits compares as
// unsigned char), which is the contract's string order.
template <typename K, typename V>
std::vector<std::pair<K, V>> Entries(const std::map<K, V>& m) {
  return std::vector<std::pair<K, V>>(m.begin(), m.end());
}

// --- llm ------------------------------------------------------------------------------------

struct LlmAgg {
  int64_t requests = 0, successes = 0, errors = 0, tokens = 0, prompt = 0, completion = 0,
          anomalies = 0;
  double latency = 0, cost = 0;
  std::set<std::string> users, tenants;
  int64_t last = 0;
  void Add(const LlmRow& r) {
    ++requests;
    if (r.status == "error") ++errors;
    if (r.status == "success") ++successes;
    if (r.is_anomaly) ++anomalies;
    tokens += r.prompt_tokens + r.completion_tokens;
    prompt += r.prompt_tokens;
    completion += r.completion_tokens;
    latency += r.latency_ms;
    cost += r.cost_usd;
    users.insert(r.user_id);
    tenants.insert(r.tenant_id);
    last = requests == 1 ? r.ts : std::max(last, r.ts);
  }
  double AvgLatency() const { return Ratio(latency, static_cast<double>(requests)); }
};

template <typename Key>
std::map<Key, LlmAgg> GroupLlm(const Dataset& data, const Window& w,
                               const std::function<std::optional<Key>(const LlmRow&)>& key) {
  std::map<Key, LlmAgg> groups;
  for (const auto& r : data.llm) {
    if (!w.Contains(r.ts)) continue;
    if (auto k = key(r)) groups[*k].Add(r);
  }
  return groups;
}

std::string Llm(const Dataset& data, const std::string& metric, const OracleParams& params) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  using Rows = std::function<std::optional<std::string>(const LlmRow&)>;
  if (metric == "realtime_kpi") {
    Window win = Resolve(Kind::kLast24, params);
    LlmAgg all;
    for (const auto& r : data.llm) {
      if (win.Contains(r.ts)) all.Add(r);
    }
    w.StartObject();
    Key(w, "totalRequests");
    w.Int64(all.requests);
    Key(w, "successRate");
    w.Double(Percent(static_cast<double>(all.successes), static_cast<double>(all.requests)));
    Key(w, "avgResponseTime");
    w.Double(all.AvgLatency());
    Key(w, "totalTokens");
    w.Int64(all.tokens);
    Key(w, "activeUsers");
    w.Int64(static_cast<int64_t>(all.users.size()));
    Key(w, "errorCount");
    w.Int64(all.errors);
    w.EndObject();
  } else if (metric == "hourly_traffic") {
    Window win = Resolve(Kind::kRange, params);
    auto groups = GroupLlm<int64_t>(
        data, win, [](const LlmRow& r) { return std::optional<int64_t>(FloorDiv(r.ts, kHour)); });
    w.StartArray();
    for (const auto& [hour, g] : groups) {
      w.StartObject();
      Key(w, "hour");
      Str(w, IsoTimestamp(hour * kHour));
      Key(w, "requests");
      w.Int64(g.requests);
      Key(w, "errors");
      w.Int64(g.errors);
      Key(w, "avgLatencyMs");
      w.Double(g.AvgLatency());
      Key(w, "totalTokens");
      w.Int64(g.tokens);
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "daily_traffic" || metric == "cost_trend") {
    Window win = Resolve(Kind::kDays, params);
    auto groups = GroupLlm<int64_t>(
        data, win, [](const LlmRow& r) { return std::optional<int64_t>(FloorDiv(r.ts, kDay)); });
    w.StartArray();
    for (const auto& [day, g] : groups) {
      w.StartObject();
      Key(w, "date");
      Str(w, DateText(day));
      if (metric == "daily_traffic") {
        Key(w, "requests");
        w.Int64(g.requests);
        Key(w, "errors");
        w.Int64(g.errors);
        Key(w, "uniqueUsers");
        w.Int64(static_cast<int64_t>(g.users.size()));
        Key(w, "totalTokens");
        w.Int64(g.tokens);
        Key(w, "avgLatencyMs");
        w.Double(g.AvgLatency());
      } else {
        Key(w, "totalCost");
        w.Double(g.cost);
        Key(w, "requests");
        w.Int64(g.requests);
        Key(w, "costPerRequest");
        w.Double(Ratio(g.cost, static_cast<double>(g.requests)));
      }
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "tenant_usage" || metric == "token_efficiency") {
    Window win = Resolve(Kind::kRange, params);
    auto groups = Entries(GroupLlm<std::string>(
        data, win, Rows([](const LlmRow& r) { return std::optional<std::string>(r.tenant_id); })));
    if (metric == "tenant_usage") {
      std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
        return a.second.requests > b.second.requests;  // ties keep tenantId order
      });
    }
    w.StartArray();
    for (const auto& [tenant, g] : groups) {
      w.StartObject();
      Key(w, "tenantId");
      Str(w, tenant);
      const double n = static_cast<double>(g.requests);
      if (metric == "tenant_usage") {
        Key(w, "requests");
        w.Int64(g.requests);
        Key(w, "totalTokens");
        w.Int64(g.tokens);
        Key(w, "totalCost");
        w.Double(g.cost);
        Key(w, "avgLatencyMs");
        w.Double(g.AvgLatency());
        Key(w, "errorRate");
        w.Double(Percent(static_cast<double>(g.errors), n));
        Key(w, "uniqueUsers");
        w.Int64(static_cast<int64_t>(g.users.size()));
      } else {
        Key(w, "avgPromptTokens");
        w.Double(Ratio(static_cast<double>(g.prompt), n));
        Key(w, "avgCompletionTokens");
        w.Double(Ratio(static_cast<double>(g.completion), n));
        Key(w, "completionRatio");
        w.Double(Ratio(static_cast<double>(g.completion), static_cast<double>(g.prompt)));
        Key(w, "costPer1kTokens");
        w.Double(Ratio(1000.0 * g.cost, static_cast<double>(g.tokens)));
      }
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "usage_heatmap") {
    Window win = Resolve(Kind::kDays, params);
    auto groups = GroupLlm<std::pair<int64_t, int64_t>>(data, win, [](const LlmRow& r) {
      const int64_t day = FloorDiv(r.ts, kDay);
      // 1970-01-01 was a Thursday (4 with Sunday = 0).
      return std::optional<std::pair<int64_t, int64_t>>(
          {((day + 4) % 7 + 7) % 7, (r.ts - day * kDay) / kHour});
    });
    w.StartArray();
    for (const auto& [cell, g] : groups) {
      w.StartObject();
      Key(w, "dayOfWeek");
      w.Int64(cell.first);
      Key(w, "hour");
      w.Int64(cell.second);
      Key(w, "requests");
      w.Int64(g.requests);
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "error_analysis") {
    Window win = Resolve(Kind::kRange, params);
    auto groups = Entries(GroupLlm<std::string>(data, win, Rows([](const LlmRow& r) {
                                                  if (r.status != "error") {
                                                    return std::optional<std::string>();
                                                  }
                                                  return std::optional<std::string>(
                                                      r.error_type.value_or("unknown"));
                                                })));
    int64_t total = 0;
    for (const auto& [type, g] : groups) total += g.requests;
    std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
      return a.second.requests > b.second.requests;
    });
    w.StartArray();
    for (const auto& [type, g] : groups) {
      w.StartObject();
      Key(w, "errorType");
      Str(w, type);
      Key(w, "count");
      w.Int64(g.requests);
      Key(w, "percentage");
      w.Double(Percent(static_cast<double>(g.requests), static_cast<double>(total)));
      Key(w, "affectedTenants");
      w.Int64(static_cast<int64_t>(g.tenants.size()));
      Key(w, "lastOccurrence");
      Str(w, IsoTimestamp(g.last));
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "anomaly_stats") {
    Window win = Resolve(Kind::kHours, params);
    LlmAgg all;
    for (const auto& r : data.llm) {
      if (win.Contains(r.ts)) all.Add(r);
    }
    auto types = Entries(GroupLlm<std::string>(data, win, Rows([](const LlmRow& r) {
                                                 if (!r.is_anomaly)
                                                   return std::optional<std::string>();
                                                 return std::optional<std::string>(
                                                     r.anomaly_type.value_or("unknown"));
                                               })));
    std::stable_sort(types.begin(), types.end(), [](const auto& a, const auto& b) {
      return a.second.requests > b.second.requests;
    });
    if (types.size() > 5) types.resize(5);
    w.StartObject();
    Key(w, "totalAnomalies");
    w.Int64(all.anomalies);
    Key(w, "anomalyRate");
    w.Double(Percent(static_cast<double>(all.anomalies), static_cast<double>(all.requests)));
    Key(w, "topAnomalyTypes");
    w.StartArray();
    for (const auto& [type, g] : types) {
      w.StartObject();
      Key(w, "type");
      Str(w, type);
      Key(w, "count");
      w.Int64(g.requests);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  } else if (metric == "query_patterns") {
    Window win = Resolve(Kind::kRange, params);
    auto groups = Entries(GroupLlm<std::string>(
        data, win,
        Rows([](const LlmRow& r) { return std::optional<std::string>(r.query_category); })));
    std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
      return a.second.requests > b.second.requests;
    });
    w.StartArray();
    for (const auto& [pattern, g] : groups) {
      const double n = static_cast<double>(g.requests);
      w.StartObject();
      Key(w, "pattern");
      Str(w, pattern);
      Key(w, "count");
      w.Int64(g.requests);
      Key(w, "avgLatencyMs");
      w.Double(g.AvgLatency());
      Key(w, "avgTokens");
      w.Double(Ratio(static_cast<double>(g.tokens), n));
      Key(w, "errorRate");
      w.Double(Percent(static_cast<double>(g.errors), n));
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "sample_logs") {
    Resolve(Kind::kNone, params);
    const int64_t limit = Param(params, "limit") ? ParseInt(*Param(params, "limit"), "limit") : 100;
    const int64_t offset =
        Param(params, "offset") ? ParseInt(*Param(params, "offset"), "offset") : 0;
    // The filters (an extension of the contract, docs/packs.md): text equal byte for byte, a
    // NULL error_type equal to nothing, anomaly true/false, search a substring of request_id or
    // user_id with the ASCII letters folded.
    const std::optional<std::string> tenant = Param(params, "tenant");
    const std::optional<std::string> model = Param(params, "model");
    const std::optional<std::string> status = Param(params, "status");
    const std::optional<std::string> error_type = Param(params, "errorType");
    const std::optional<std::string> anomaly = Param(params, "anomaly");
    const std::optional<std::string> search = Param(params, "search");
    if (anomaly && *anomaly != "true" && *anomaly != "false") {
      throw BadParam("anomaly must be true or false: " + *anomaly);
    }
    auto ascii_lower = [](std::string text) {
      for (char& c : text) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      return text;
    };
    auto passes = [&](const LlmRow& r) {
      if (tenant && r.tenant_id != *tenant) return false;
      if (model && r.model != *model) return false;
      if (status && r.status != *status) return false;
      if (error_type && r.error_type != error_type) return false;
      if (anomaly && r.is_anomaly != (*anomaly == "true")) return false;
      if (search) {
        const std::string needle = ascii_lower(*search);
        if (ascii_lower(r.request_id).find(needle) == std::string::npos &&
            ascii_lower(r.user_id).find(needle) == std::string::npos) {
          return false;
        }
      }
      return true;
    };
    std::vector<const LlmRow*> rows;
    for (const auto& r : data.llm) {
      if (passes(r)) rows.push_back(&r);
    }
    std::sort(rows.begin(), rows.end(), [](const LlmRow* a, const LlmRow* b) {
      if (a->ts != b->ts) return a->ts > b->ts;
      return a->request_id < b->request_id;
    });
    w.StartArray();
    for (int64_t i = offset; i < offset + limit && i < static_cast<int64_t>(rows.size()); ++i) {
      const LlmRow& r = *rows[static_cast<size_t>(i)];
      w.StartObject();
      Key(w, "timestamp");
      Str(w, IsoTimestamp(r.ts));
      Key(w, "requestId");
      Str(w, r.request_id);
      Key(w, "tenantId");
      Str(w, r.tenant_id);
      Key(w, "userId");
      Str(w, r.user_id);
      Key(w, "model");
      Str(w, r.model);
      Key(w, "status");
      Str(w, r.status);
      Key(w, "errorType");
      NullableStr(w, r.error_type);
      Key(w, "latencyMs");
      w.Double(r.latency_ms);
      Key(w, "promptTokens");
      w.Int64(r.prompt_tokens);
      Key(w, "completionTokens");
      w.Int64(r.completion_tokens);
      Key(w, "costUsd");
      w.Double(r.cost_usd);
      Key(w, "queryCategory");
      Str(w, r.query_category);
      Key(w, "isAnomaly");
      w.Bool(r.is_anomaly);
      Key(w, "anomalyType");
      NullableStr(w, r.anomaly_type);
      w.EndObject();
    }
    w.EndArray();
  } else {
    throw BadParam("unknown llm metric " + metric);
  }
  return buf.GetString();
}

// --- web ------------------------------------------------------------------------------------

std::string Unified(const WebRow& r) {
  return r.user_id.value_or(r.user_pseudo_id);
}

struct WebAgg {
  int64_t events = 0, page_views = 0, conversions = 0;
  double revenue = 0;
  std::set<std::string> pseudo_users, unified_users;
  std::set<std::pair<std::string, int64_t>> sessions;
  void Add(const WebRow& r) {
    ++events;
    if (r.event_name == "page_view") ++page_views;
    if (r.event_name == "purchase") ++conversions;
    pseudo_users.insert(r.user_pseudo_id);
    unified_users.insert(Unified(r));
    sessions.insert({Unified(r), r.ga_session_id});
  }
};

std::string Web(const Dataset& data, const std::string& metric, const OracleParams& params,
                const WebSettings& settings) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  const std::regex client_re(settings.client_pattern);
  auto client_of = [&](const WebRow& r) -> std::optional<std::string> {
    std::smatch m;
    if (!r.page_location) return std::nullopt;
    // An empty capture names no client: every dialect reads it so (docs/packs.md).
    if (!std::regex_search(*r.page_location, m, client_re) || m.size() < 2 || m[1].length() == 0) {
      return std::nullopt;
    }
    return m[1].str();
  };
  if (metric == "summary") {
    Window win = Resolve(Kind::kDays, params);
    WebAgg all;
    std::set<std::string> clients;
    for (const auto& r : data.web) {
      if (!win.Contains(r.ts)) continue;
      all.Add(r);
      if (auto c = client_of(r)) clients.insert(*c);
    }
    w.StartObject();
    Key(w, "total_users");
    w.Int64(static_cast<int64_t>(all.pseudo_users.size()));
    Key(w, "total_events");
    w.Int64(all.events);
    Key(w, "page_views");
    w.Int64(all.page_views);
    Key(w, "active_clients");
    w.Int64(static_cast<int64_t>(clients.size()));
    w.EndObject();
  } else if (metric == "daily" || metric == "kpis") {
    Window win = Resolve(metric == "daily" ? Kind::kDays : Kind::kRange, params);
    const std::optional<std::string> currency = Param(params, "currency");
    std::map<int64_t, WebAgg> days;
    for (const auto& r : data.web) {
      if (!win.Contains(r.ts)) continue;
      WebAgg& g = days[FloorDiv(r.ts, kDay)];
      g.Add(r);
      if (r.purchase_revenue && (!currency || r.currency == currency))
        g.revenue += *r.purchase_revenue;
    }
    w.StartArray();
    for (const auto& [day, g] : days) {
      w.StartObject();
      Key(w, "date");
      Str(w, DateText(day));
      if (metric == "daily") {
        Key(w, "users");
        w.Int64(static_cast<int64_t>(g.pseudo_users.size()));
        Key(w, "events");
        w.Int64(g.events);
      } else {
        Key(w, "users");
        w.Int64(static_cast<int64_t>(g.unified_users.size()));
        Key(w, "sessions");
        w.Int64(static_cast<int64_t>(g.sessions.size()));
        Key(w, "events");
        w.Int64(g.events);
        Key(w, "conversions");
        w.Int64(g.conversions);
        Key(w, "revenue");
        w.Double(g.revenue);
      }
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "features") {
    Window win = Resolve(Kind::kDays, params);
    std::vector<std::pair<std::regex, std::string>> rules;
    for (const auto& [match, name] : settings.features) rules.emplace_back(std::regex(match), name);
    std::map<std::string, int64_t> views;
    for (const auto& r : data.web) {
      if (!win.Contains(r.ts) || r.event_name != "page_view" || !r.page_location) continue;
      for (const auto& [re, name] : rules) {
        if (std::regex_search(*r.page_location, re)) {
          ++views[name];
          break;
        }
      }
    }
    auto rows = Entries(views);
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    w.StartArray();
    for (const auto& [feature, n] : rows) {
      w.StartObject();
      Key(w, "feature");
      Str(w, feature);
      Key(w, "views");
      w.Int64(n);
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "clients") {
    Window win = Resolve(Kind::kDays, params);
    std::map<std::string, WebAgg> clients;
    for (const auto& r : data.web) {
      if (!win.Contains(r.ts)) continue;
      if (auto c = client_of(r)) clients[*c].Add(r);
    }
    auto rows = Entries(clients);
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second.events > b.second.events;
    });
    if (rows.size() > 20) rows.resize(20);
    w.StartArray();
    for (const auto& [client, g] : rows) {
      w.StartObject();
      Key(w, "client");
      Str(w, client);
      Key(w, "events");
      w.Int64(g.events);
      Key(w, "users");
      w.Int64(static_cast<int64_t>(g.pseudo_users.size()));
      Key(w, "page_views");
      w.Int64(g.page_views);
      w.EndObject();
    }
    w.EndArray();
  } else if (metric == "session_trends") {
    Window win = Resolve(Kind::kRange, params);
    WebAgg current, previous;
    for (const auto& r : data.web) {
      if (win.Contains(r.ts)) {
        current.Add(r);
      } else if (win.prev_from <= r.ts && r.ts < win.from) {
        previous.Add(r);
      }
    }
    auto growth = [](size_t cur, size_t prev) {
      return prev == 0 ? 0.0
                       : (static_cast<double>(cur) - static_cast<double>(prev)) /
                             static_cast<double>(prev) * 100.0;
    };
    w.StartObject();
    for (const auto* part : {&current, &previous}) {
      Key(w, part == &current ? "current" : "previous");
      w.StartObject();
      Key(w, "sessions");
      w.Int64(static_cast<int64_t>(part->sessions.size()));
      Key(w, "users");
      w.Int64(static_cast<int64_t>(part->unified_users.size()));
      w.EndObject();
    }
    Key(w, "sessionsGrowth");
    w.Double(growth(current.sessions.size(), previous.sessions.size()));
    Key(w, "usersGrowth");
    w.Double(growth(current.unified_users.size(), previous.unified_users.size()));
    w.EndObject();
  } else if (metric == "funnel") {
    Window win = Resolve(Kind::kRange, params);
    std::vector<std::string> steps = {"page_view", "add_to_cart", "begin_checkout", "purchase"};
    if (auto given = Param(params, "steps")) {
      steps.clear();
      size_t start = 0;
      while (true) {
        size_t comma = given->find(',', start);
        steps.push_back(given->substr(start, comma == std::string::npos ? comma : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    std::map<std::string, std::set<std::string>> events_of_user;
    for (const auto& r : data.web) {
      if (win.Contains(r.ts)) events_of_user[Unified(r)].insert(r.event_name);
    }
    w.StartArray();
    if (!events_of_user.empty()) {  // an empty window is [] (agreed reading)
      int64_t previous = 0;
      for (size_t k = 0; k < steps.size(); ++k) {
        int64_t users = 0;
        for (const auto& [user, names] : events_of_user) {
          bool all = true;
          for (size_t j = 0; j <= k && all; ++j) all = names.count(steps[j]) > 0;
          users += all;
        }
        w.StartObject();
        Key(w, "step");
        Str(w, steps[k]);
        Key(w, "users");
        w.Int64(users);
        Key(w, "conversionRate");
        w.Double(k == 0 ? 100.0
                        : Percent(static_cast<double>(users), static_cast<double>(previous)));
        Key(w, "dropOff");
        w.Int64(k == 0 ? 0 : previous - users);
        w.EndObject();
        previous = users;
      }
    }
    w.EndArray();
  } else {
    throw BadParam("unknown web metric " + metric);
  }
  return buf.GetString();
}

}  // namespace

std::string IsoTimestamp(int64_t micros) {
  std::string text = SqlTimestampText(micros);
  text[10] = 'T';
  text.push_back('Z');
  return text;
}

std::vector<std::string> OracleMetricNames(const std::string& pack) {
  if (pack == "llm") {
    return {"realtime_kpi",  "hourly_traffic", "daily_traffic",    "tenant_usage",
            "usage_heatmap", "error_analysis", "token_efficiency", "anomaly_stats",
            "cost_trend",    "query_patterns", "sample_logs"};
  }
  if (pack == "web") {
    return {"summary", "daily", "features", "clients", "kpis", "session_trends", "funnel"};
  }
  return {};
}

OracleWindow OracleWindowOf(const std::string& metric, const OracleParams& params) {
  static const std::map<std::string, Kind> kinds = {{"realtime_kpi", Kind::kLast24},
                                                    {"hourly_traffic", Kind::kRange},
                                                    {"daily_traffic", Kind::kDays},
                                                    {"tenant_usage", Kind::kRange},
                                                    {"usage_heatmap", Kind::kDays},
                                                    {"error_analysis", Kind::kRange},
                                                    {"token_efficiency", Kind::kRange},
                                                    {"anomaly_stats", Kind::kHours},
                                                    {"cost_trend", Kind::kDays},
                                                    {"query_patterns", Kind::kRange},
                                                    {"sample_logs", Kind::kNone},
                                                    {"summary", Kind::kDays},
                                                    {"daily", Kind::kDays},
                                                    {"features", Kind::kDays},
                                                    {"clients", Kind::kDays},
                                                    {"kpis", Kind::kRange},
                                                    {"session_trends", Kind::kRange},
                                                    {"funnel", Kind::kRange}};
  OracleWindow out;
  auto kind = kinds.find(metric);
  if (kind == kinds.end()) {
    out.error = "unknown metric " + metric;
    return out;
  }
  try {
    Window w = Resolve(kind->second, params);
    out.now = w.now;
    if (kind->second != Kind::kNone) {
      out.from = w.from;
      out.to = w.to;
    }
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

OracleAnswer OracleData(const Dataset& data, const std::string& pack, const std::string& metric,
                        const OracleParams& params, const WebSettings& settings) {
  OracleAnswer answer;
  try {
    if (pack == "llm") {
      answer.json = Llm(data, metric, params);
    } else if (pack == "web") {
      answer.json = Web(data, metric, params, settings);
    } else {
      answer.error = "unknown pack " + pack;
    }
  } catch (const std::exception& e) {
    answer.error = e.what();
  }
  return answer;
}

}  // namespace tributary::packs_test
