// Demo data generator: both canonical tables are built by DuckDB SQL over range(N), every
// random draw being a hash of (row or session key, seed, field name) so that the same seed
// and end always give the same rows, whatever the thread count.
//
// Timestamps come from a weighted histogram of the UTC hours of the window (diurnal cycle,
// weekend dip, growth, day-to-day noise, incident surges): integer weights are summed
// cumulatively and each row is placed by an ASOF join on its stratified position, so rows
// follow the shape exactly and integer sums keep the placement deterministic.
#include "demo/demo_data.h"

#include <duckdb.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "connectors/duckdb/duckdb_open.h"

namespace tributary {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerHour = 3'600 * kMicrosPerSecond;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;
constexpr int64_t kMaxRows = 1'000'000'000;
constexpr int64_t kMaxDays = 36'600;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

//! splitmix64: spreads the seed into the few decisions made in C++ (incident placement, id
//! mask), so that different seeds move them.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string Num(double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  std::string text = buf;
  // DuckDB reads "1e-05" as DOUBLE but "3" as INTEGER; keep every literal a DOUBLE.
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

//! A DuckDB list literal of strings, indexed 1-based in SQL.
std::string StrList(std::span<const std::string_view> values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + Quote(values[i]);
  return out + "]";
}

std::string NumList(std::span<const double> values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + Num(values[i]);
  return out + "]";
}

//! A categorical draw: the 0-based index of the bucket that `u` (uniform in [0,1)) falls in,
//! buckets being proportional to `weights`.
std::string PickIndex(const std::string& u, std::span<const double> weights) {
  double total = 0;
  for (double w : weights) total += w;
  std::string out = "(CASE";
  double cumulative = 0;
  for (size_t i = 0; i + 1 < weights.size(); ++i) {
    cumulative += weights[i];
    out += " WHEN " + u + " < " + Num(cumulative / total) + " THEN " + std::to_string(i);
  }
  return out + " ELSE " + std::to_string(weights.size() - 1) + " END)";
}

struct Weighted {
  std::string sql;  //!< an SQL expression
  double weight;
};

//! A categorical draw over SQL expressions.
std::string Pick(const std::string& u, std::span<const Weighted> choices) {
  double total = 0;
  for (const auto& c : choices) total += c.weight;
  std::string out = "(CASE";
  double cumulative = 0;
  for (size_t i = 0; i + 1 < choices.size(); ++i) {
    cumulative += choices[i].weight;
    out += " WHEN " + u + " < " + Num(cumulative / total) + " THEN " + choices[i].sql;
  }
  return out + " ELSE " + choices.back().sql + " END)";
}

//! Replaces each `$NAME` placeholder; longer names first, so $N does not eat $NUSERS.
std::string Fill(std::string sql, std::vector<std::pair<std::string, std::string>> vars) {
  std::sort(vars.begin(), vars.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [name, value] : vars) {
    const std::string key = "$" + name;
    for (size_t pos = sql.find(key); pos != std::string::npos;
         pos = sql.find(key, pos + value.size())) {
      sql.replace(pos, key.size(), value);
    }
  }
  return sql;
}

// ---- The demo world -------------------------------------------------------------------------

// Tenants of the LLM gateway: Zipf-like, the first three hold about two thirds of traffic.
constexpr std::string_view kTenants[] = {"acme-corp", "globex",    "initech",   "umbrella",
                                         "hooli",     "stark-ind", "wayne-ent", "wonka",
                                         "tyrell",    "cyberdyne"};
constexpr double kTenantWeights[] = {1.0, 0.52, 0.34, 0.17, 0.13, 0.10, 0.08, 0.065, 0.05, 0.04};
// A few hundred users, more in larger tenants.
constexpr double kTenantUsers[] = {90, 64, 48, 34, 28, 22, 18, 14, 12, 10};
// globex runs into its quota: rate limits double its error rate.
constexpr double kTenantErrorRate[] = {0.038, 0.076, 0.036, 0.043, 0.034,
                                       0.052, 0.038, 0.057, 0.040, 0.045};
// Each tenant leans towards one model; index into kModels.
constexpr double kTenantFavoriteModel[] = {0, 1, 2, 1, 3, 4, 5, 0, 2, 1};
// ... and towards one kind of workload (index into kCategories), so that token efficiency
// differs between tenants.
constexpr double kTenantFocusCategory[] = {0, 1, 3, 0, 2, 1, 4, 3, 1, 0};

struct Model {
  std::string_view name;
  double weight;           //!< share among non-embedding requests
  double usd_in_per_1m;    //!< price of a million prompt tokens
  double usd_out_per_1m;   //!< price of a million completion tokens
  double base_latency_ms;  //!< median time to first token
  double ms_per_token;     //!< generation time per completion token
};
constexpr Model kModels[] = {
    {"gpt-4o", 0.22, 2.50, 10.00, 650, 11},
    {"gpt-4o-mini", 0.30, 0.15, 0.60, 320, 6},
    {"claude-3-5-sonnet", 0.18, 3.00, 15.00, 850, 13},
    {"claude-3-5-haiku", 0.12, 0.80, 4.00, 380, 7},
    {"gemini-1.5-pro", 0.10, 1.25, 5.00, 780, 10},
    {"llama-3.1-70b", 0.08, 0.88, 0.88, 450, 8},
    {"text-embedding-3-small", 0.0, 0.02, 0.0, 45, 0},
};
constexpr int kEmbeddingModel = 6;

struct Category {
  std::string_view name;
  double weight;
  double median_prompt;
  double median_completion;
};
constexpr Category kCategories[] = {
    {"chat", 0.40, 650, 320},   {"rag", 0.24, 2400, 380},    {"completion", 0.14, 450, 220},
    {"agent", 0.12, 3800, 900}, {"embedding", 0.10, 350, 0},
};
constexpr int kEmbeddingCategory = 4;

constexpr std::pair<std::string_view, double> kErrorTypes[] = {
    {"rate_limit", 0.28},      {"timeout", 0.22},
    {"provider_error", 0.18},  {"context_length_exceeded", 0.12},
    {"invalid_request", 0.12}, {"content_filter", 0.08},
};
// Scattered anomalies, outside incidents.
constexpr std::pair<std::string_view, double> kAnomalyTypes[] = {
    {"token_burst", 0.40}, {"latency_spike", 0.35}, {"cost_spike", 0.25}};
constexpr double kAnomalyRate = 0.008;

// Web clients (subdomains of 8020rei.com), skewed; currency is per client.
constexpr std::string_view kClients[] = {
    "summit",   "keystone",  "redbrick",  "oakline",    "harbor",      "pinecrest",
    "bluegate", "northstar", "ironwood",  "silverleaf", "maplegrove",  "cedarpoint",
    "highland", "riverbend", "goldcoast", "lakeside",   "stonebridge", "brightpath"};
constexpr std::string_view kClientCurrency[] = {"USD", "USD", "USD", "USD", "MXN", "USD",
                                                "USD", "COP", "USD", "USD", "MXN", "USD",
                                                "USD", "USD", "USD", "USD", "USD", "USD"};
constexpr std::string_view kCurrencies[] = {"USD", "MXN", "COP"};
constexpr double kUsdRate[] = {1.0, 17.5, 3900.0};

//! The time window and the seed-derived decisions shared by both tables.
struct Plan {
  uint64_t seed = 0;
  int64_t rows = 0;
  int64_t start_us = 0;    //!< inclusive
  int64_t end_us = 0;      //!< exclusive
  int64_t first_hour = 0;  //!< hours since the epoch of the hour holding start_us
  int64_t hours = 0;       //!< UTC hours touching the window
  // Two incidents, in hours since the epoch: an outage mid-window and a degradation a few
  // days before the end (so that recent dashboards show one).
  int64_t outage_hour = 0;
  int64_t outage_len = 3;
  int64_t degraded_hour = 0;
  int64_t degraded_len = 2;
  uint64_t id_mask = 0;  //!< 48-bit mask scrambling request ids
};

Plan MakePlan(const DemoDataOptions& options, int64_t end_us) {
  Plan p;
  p.seed = options.seed;
  p.rows = options.rows;
  p.end_us = end_us;
  p.start_us = end_us - options.days * kMicrosPerDay;
  p.first_hour = FloorDiv(p.start_us, kMicrosPerHour);
  p.hours = FloorDiv(p.end_us - 1, kMicrosPerHour) - p.first_hour + 1;
  const int64_t first_day = FloorDiv(p.start_us, kMicrosPerDay);
  const int64_t last_day = FloorDiv(p.end_us - 1, kMicrosPerDay);
  const uint64_t r1 = Mix(options.seed ^ 0x0A7A6E);
  const uint64_t r2 = Mix(r1);
  const int64_t spread = std::max<int64_t>(1, options.days / 5);
  const int64_t outage_day = first_day + options.days * 2 / 5 + static_cast<int64_t>(r1 % spread);
  p.outage_hour = outage_day * 24 + 13 + static_cast<int64_t>((r1 >> 20) % 5);
  const int64_t degraded_day = last_day - 2 - static_cast<int64_t>(r2 % 4);
  p.degraded_hour = degraded_day * 24 + 14 + static_cast<int64_t>((r2 >> 20) % 4);
  p.id_mask = Mix(r2) & 0xFFFF'FFFF'FFFFULL;
  return p;
}

//! SQL fragments that depend on the seed.
class Sql {
 public:
  explicit Sql(const Plan& plan) : plan_(plan) {}

  //! A 64-bit hash of (key..., seed, field). DuckDB's multi-argument hash combines cheaply, so
  //! streams of two fields over the same key would be correlated; instead the key's hash is
  //! XORed with a per-(seed, field) salt and mixed again.
  std::string H(const std::string& key, std::string_view field) const {
    uint64_t salt = 0xCBF29CE484222325ULL;  // FNV-1a of the field name
    for (unsigned char c : field) salt = (salt ^ c) * 0x100000001B3ULL;
    salt = Mix(salt ^ Mix(plan_.seed));
    return "hash(xor(hash(" + key + "), " + std::to_string(salt) + "::UBIGINT))";
  }
  //! Uniform in [0,1) from the top 53 bits of H.
  std::string U(const std::string& key, std::string_view field) const {
    return "((" + H(key, field) + " >> 11) * " + Num(1.0 / 9007199254740992.0) + ")";
  }
  //! Standard normal (Box-Muller); 1 - U lies in (0,1] so the log is finite.
  std::string Z(const std::string& key, std::string_view field) const {
    const std::string f(field);
    return "(sqrt(-2.0 * ln(1.0 - " + U(key, f + ".r") + ")) * cos(2.0 * pi() * " +
           U(key, f + ".a") + "))";
  }

  //! Select-list items `<expr> AS u_<field>` (uniform) and `<expr> AS z_<field>` (normal), so
  //! that each draw is computed once; CASE branches repeating an expression would rehash.
  std::string Draws(const std::string& key, std::initializer_list<std::string_view> uniforms,
                    std::initializer_list<std::string_view> normals = {}) const {
    std::string out;
    for (auto field : uniforms) {
      out += (out.empty() ? "" : ",\n    ") + U(key, field) + " AS u_" + std::string(field);
    }
    for (auto field : normals) {
      out += (out.empty() ? "" : ",\n    ") + Z(key, field) + " AS z_" + std::string(field);
    }
    return out;
  }

  struct Shape {
    double peak_hour;  //!< UTC hour of the diurnal peak
    double width;      //!< hours, spread of the peak
    double floor;      //!< night traffic relative to the peak
    double weekend;    //!< Saturday/Sunday factor
    double growth;     //!< relative growth over the window
    double incident;   //!< traffic factor during incidents (retries)
  };

  //! CTEs `hours` (UTC hour buckets clipped to the window, integer weights, cumulative
  //! start c0) and `total` (sum of weights).
  std::string HoursCte(const Shape& s) const {
    return Fill(R"(
hours AS (
  SELECT k, he, b0, b1, w, (sum(w) OVER (ORDER BY k ROWS UNBOUNDED PRECEDING) - w)::BIGINT AS c0
  FROM (
    SELECT k, he, b0, b1,
      round(1000000.0 * (b1 - b0) / $HOUR.0
        * ($FLOOR + exp(-0.5 * pow(least(abs(hod - $PEAK), 24 - abs(hod - $PEAK)) / $WIDTH, 2)))
        * (CASE WHEN dow IN (0, 6) THEN $WEEKEND ELSE 1.0 END)
        * (1.0 + $GROWTH * k / $K.0)
        * (0.88 + 0.24 * $UDAY)
        * (CASE WHEN $INCIDENT THEN $BOOST ELSE 1.0 END))::BIGINT AS w
    FROM (
      SELECT k, he, greatest($START, he * $HOUR) AS b0, least($END, (he + 1) * $HOUR) AS b1,
        ((he % 24) + 24) % 24 AS hod, ((floor(he / 24)::BIGINT % 7) + 11) % 7 AS dow,
        floor(he / 24)::BIGINT AS day
      FROM (SELECT k, $H0 + k AS he FROM range($K) t(k))
    )
  )
  WHERE w > 0
),
total AS (SELECT sum(w)::BIGINT AS w FROM hours))",
                {{"FLOOR", Num(s.floor)},
                 {"PEAK", Num(s.peak_hour)},
                 {"WIDTH", Num(s.width)},
                 {"WEEKEND", Num(s.weekend)},
                 {"GROWTH", Num(s.growth)},
                 {"BOOST", Num(s.incident)},
                 {"UDAY", U("day", "day")},
                 {"INCIDENT", Incident("he") + " > 0"},
                 {"START", std::to_string(plan_.start_us)},
                 {"END", std::to_string(plan_.end_us)},
                 {"HOUR", std::to_string(kMicrosPerHour)},
                 {"H0", std::to_string(plan_.first_hour)},
                 {"K", std::to_string(plan_.hours)}});
  }

  //! 0 outside incidents, 1 during the outage, 2 during the degradation.
  std::string Incident(const std::string& hour_expr) const {
    return Fill(
        "(CASE WHEN $X >= $A AND $X < $A + $AL THEN 1 WHEN $X >= $B AND $X < $B + $BL THEN 2 "
        "ELSE 0 END)",
        {{"X", hour_expr},
         {"A", std::to_string(plan_.outage_hour)},
         {"AL", std::to_string(plan_.outage_len)},
         {"B", std::to_string(plan_.degraded_hour)},
         {"BL", std::to_string(plan_.degraded_len)}});
  }

  //! Microseconds of the point at integer position `target` of the `hours` histogram; needs
  //! the ASOF-joined bucket `h` and a uniform `u` for the position inside the weight unit.
  static std::string PlaceInHour(const std::string& target, const std::string& u) {
    return "(h.b0 + least(h.b1 - h.b0 - 1, floor((" + target + " - h.c0 + " + u +
           ") / h.w * (h.b1 - h.b0))::BIGINT))";
  }

 private:
  const Plan& plan_;
};

std::string LlmSql(const Plan& plan) {
  const Sql sql(plan);
  const Sql::Shape shape{.peak_hour = 15,
                         .width = 4.5,
                         .floor = 0.18,
                         .weekend = 0.45,
                         .growth = 0.35,
                         .incident = 1.4};

  std::vector<std::string_view> model_names;
  std::vector<double> model_weights, price_in, price_out, base_latency, ms_per_token;
  for (const auto& m : kModels) {
    model_names.push_back(m.name);
    if (m.weight > 0) model_weights.push_back(m.weight);
    price_in.push_back(m.usd_in_per_1m);
    price_out.push_back(m.usd_out_per_1m);
    base_latency.push_back(m.base_latency_ms);
    ms_per_token.push_back(m.ms_per_token);
  }
  std::vector<std::string_view> category_names;
  std::vector<double> category_weights, median_prompt, median_completion;
  for (const auto& c : kCategories) {
    category_names.push_back(c.name);
    category_weights.push_back(c.weight);
    median_prompt.push_back(c.median_prompt);
    median_completion.push_back(c.median_completion);
  }
  std::vector<Weighted> error_types, anomaly_types;
  for (const auto& [name, w] : kErrorTypes) error_types.push_back({Quote(name), w});
  for (const auto& [name, w] : kAnomalyTypes) anomaly_types.push_back({Quote(name), w});
  const Weighted outage_errors[] = {{"'provider_error'", 0.65}, {"'timeout'", 0.35}};
  const Weighted degraded_errors[] = {{"'timeout'", 0.70}, {"'provider_error'", 0.30}};

  return Fill(
      R"(
CREATE TABLE llm_logs AS
WITH $HOURS,
placed AS (
  SELECT r.i, h.he, $PLACE AS ts
  FROM (
    SELECT i, least(total.w - 1, floor((i + $UPOS) * total.w / $N.0))::BIGINT AS target
    FROM range($N) t(i), total
  ) r ASOF JOIN hours h ON r.target >= h.c0
),
draws AS (
  SELECT i, ts, $INCIDENT AS incident,
    $DRAWS
  FROM placed
),
tenanted AS (SELECT *, $TENANT AS tenant FROM draws),
drawn AS (
  SELECT *,
    CASE WHEN u_focus < 0.35 THEN $FOCUS[tenant + 1]::INTEGER ELSE $CATEGORY END AS category
  FROM tenanted
),
typed AS (
  SELECT *,
    CASE WHEN category = $EMB_CAT THEN $EMB_MODEL
         WHEN u_favorite < 0.4 THEN $FAVORITES[tenant + 1]::INTEGER
         ELSE $MODEL END AS model,
    u_error < CASE incident WHEN 1 THEN 0.55 WHEN 2 THEN 0.35 ELSE $TERR[tenant + 1] END
      AS is_error
  FROM drawn
),
errors AS (
  SELECT *,
    CASE WHEN NOT is_error THEN NULL
         WHEN incident = 1 THEN $OUTAGE_ERRORS
         WHEN incident = 2 THEN $DEGRADED_ERRORS
         WHEN tenant = 1 AND u_rate_limited < 0.7 THEN 'rate_limit'
         ELSE $ERROR_TYPE END AS error_type,
    CASE WHEN NOT is_error AND incident = 0 AND u_anomaly < $ANOM_RATE THEN $ANOMALY_TYPE END
      AS scattered
  FROM typed
),
tokens AS (
  SELECT *,
    greatest(8, round($MPROMPT[category + 1] * exp(0.6 * z_prompt)))::BIGINT
      * (CASE WHEN scattered = 'cost_spike' THEN 20 ELSE 1 END) AS prompt_tokens,
    CASE WHEN is_error OR category = $EMB_CAT THEN 0
         ELSE greatest(1, round($MCOMPLETION[category + 1] * exp(0.5 * z_completion)))::BIGINT
           * (CASE WHEN scattered = 'token_burst' THEN 10 ELSE 1 END) END AS completion_tokens
  FROM errors
)
SELECT
  make_timestamp(ts) AS "timestamp",
  printf('req_%012x', xor((i * 2654435761) & 281474976710655, $IDMASK)) AS request_id,
  $TENANTS[tenant + 1] AS tenant_id,
  'u_' || $TENANTS[tenant + 1] || '_'
    || lpad(floor($NUSERS[tenant + 1] * pow(u_user, 1.7))::BIGINT::VARCHAR, 3, '0') AS user_id,
  $MODELS[model + 1] AS model,
  CASE WHEN is_error THEN 'error' ELSE 'success' END AS status,
  error_type,
  round(CASE error_type
    WHEN 'timeout' THEN 30000.0 + 4000.0 * u_latency
    WHEN 'rate_limit' THEN 8.0 + 90.0 * u_latency
    WHEN 'provider_error' THEN 0.6 * $BASELAT[model + 1] * exp(0.6 * z_latency)
    WHEN 'context_length_exceeded' THEN 30.0 + 170.0 * u_latency
    WHEN 'invalid_request' THEN 25.0 + 150.0 * u_latency
    WHEN 'content_filter' THEN 120.0 + 400.0 * u_latency
    ELSE ($BASELAT[model + 1] * exp(0.45 * z_latency)
          + completion_tokens * $MSTOK[model + 1] * exp(0.15 * z_generation))
         * (CASE WHEN incident > 0 THEN 3.5 ELSE 1.0 END)
         * (CASE WHEN scattered = 'latency_spike' THEN 6.0 + 6.0 * u_latency ELSE 1.0 END)
  END, 1)::DOUBLE AS latency_ms,
  prompt_tokens,
  completion_tokens,
  (prompt_tokens * $PIN[model + 1] + completion_tokens * $POUT[model + 1]) / 1000000.0
    AS cost_usd,
  $CATEGORIES[category + 1] AS query_category,
  incident > 0 OR scattered IS NOT NULL AS is_anomaly,
  CASE WHEN incident > 0 THEN (CASE WHEN is_error THEN 'error_burst' ELSE 'latency_spike' END)
       ELSE scattered END AS anomaly_type
FROM tokens
ORDER BY ts, i
)",
      {{"HOURS", sql.HoursCte(shape)},
       {"PLACE", Sql::PlaceInHour("r.target", sql.U("r.i", "offset"))},
       {"UPOS", sql.U("i", "position")},
       {"N", std::to_string(plan.rows)},
       {"INCIDENT", sql.Incident("he")},
       {"DRAWS",
        sql.Draws("i",
                  {"tenant", "focus", "category", "model", "favorite", "error", "error_type",
                   "rate_limited", "anomaly", "anomaly_type", "user", "latency"},
                  {"prompt", "completion", "latency", "generation"})},
       {"TENANT", PickIndex("u_tenant", kTenantWeights)},
       {"CATEGORY", PickIndex("u_category", category_weights)},
       {"EMB_CAT", std::to_string(kEmbeddingCategory)},
       {"EMB_MODEL", std::to_string(kEmbeddingModel)},
       {"FAVORITES", NumList(kTenantFavoriteModel)},
       {"FOCUS", NumList(kTenantFocusCategory)},
       {"MODEL", PickIndex("u_model", model_weights)},
       {"TERR", NumList(kTenantErrorRate)},
       {"OUTAGE_ERRORS", Pick("u_error_type", outage_errors)},
       {"DEGRADED_ERRORS", Pick("u_error_type", degraded_errors)},
       {"ERROR_TYPE", Pick("u_error_type", error_types)},
       {"ANOM_RATE", Num(kAnomalyRate)},
       {"ANOMALY_TYPE", Pick("u_anomaly_type", anomaly_types)},
       {"MPROMPT", NumList(median_prompt)},
       {"MCOMPLETION", NumList(median_completion)},
       {"IDMASK", std::to_string(plan.id_mask)},
       {"TENANTS", StrList(kTenants)},
       {"NUSERS", NumList(kTenantUsers)},
       {"MODELS", StrList(model_names)},
       {"BASELAT", NumList(base_latency)},
       {"MSTOK", NumList(ms_per_token)},
       {"PIN", NumList(price_in)},
       {"POUT", NumList(price_out)},
       {"CATEGORIES", StrList(category_names)}});
}

std::string WebSql(const Plan& plan) {
  const Sql sql(plan);
  const Sql::Shape shape{.peak_hour = 16,
                         .width = 4.0,
                         .floor = 0.12,
                         .weekend = 0.35,
                         .growth = 0.25,
                         .incident = 1.0};
  // Sessions of 2..40 events (mean ~7) are laid end to end over the N rows; each is placed in
  // time like an LLM row, then its events follow every 20 s to 4 min. Devices (about 40 events
  // each, skewed) belong to one client; 30% never sign in, the rest do in 85% of sessions.
  const int64_t devices = std::max<int64_t>(20, plan.rows / 40);
  const int64_t owners = std::max<int64_t>(10, devices * 6 / 10);

  std::vector<double> client_weights;
  for (size_t k = 0; k < std::size(kClients); ++k) {
    client_weights.push_back(1.0 / std::pow(static_cast<double>(k + 1), 0.95));
  }
  // Paths of page views: each default feature rule is hit, plus a few paths that are Other.
  const std::string id = "(1000 + floor(u_page_id * 90000)::BIGINT)";
  const Weighted paths[] = {
      {"'/home'", 0.20},
      {"'/buybox/deals'", 0.07},
      {"'/buybox/deals/' || " + id, 0.06},
      {"'/buybox'", 0.06},
      {"'/buybox/markets'", 0.04},
      {"'/properties'", 0.07},
      {"'/properties/' || " + id, 0.09},
      {"'/importer'", 0.06},
      {"'/integrations/api-tokens'", 0.03},
      {"'/integrations'", 0.04},
      {"'/session/login'", 0.09},
      {"'/settings/profile'", 0.03},
      {"'/billing'", 0.02},
      {"'/reports/monthly'", 0.03},
      {"'/help/getting-started'", 0.02},
      {"'/'", 0.02},
  };
  const Weighted marketing[] = {
      {"'https://8020rei.com/'", 0.35},
      {"'https://8020rei.com/pricing'", 0.25},
      {"'https://8020rei.com/blog/market-trends'", 0.20},
      {"'https://help.8020rei.io/articles/getting-started'", 0.20},
  };

  return Fill(
      R"(
CREATE TABLE web_events AS
WITH $HOURS,
lengths AS (
  SELECT s, least(40, 2 + floor(-ln(1.0 - $ULEN) * 5.5))::BIGINT AS len
  FROM range($SMAX) t(s)
),
sessions AS (
  SELECT s, len, (sum(len) OVER (ORDER BY s ROWS UNBOUNDED PRECEDING) - len)::BIGINT AS first_row
  FROM lengths
),
placed AS (
  SELECT r.s, r.len, r.first_row, $PLACE AS t0
  FROM (
    SELECT s, len, first_row,
      least(total.w - 1, floor((first_row + $UPOS * len) * total.w / $N.0))::BIGINT AS target
    FROM sessions, total
    WHERE first_row < $N
  ) r ASOF JOIN hours h ON r.target >= h.c0
),
devices AS (
  SELECT *, $CLIENT AS client, u_anonymous < 0.3 AS anonymous_device,
    floor(u_owner * $OWNERS)::BIGINT AS owner,
    1000000000 + $HPSEUDO % 9000000000 AS pseudo_a,
    1600000000 + $HFIRST % 100000000 AS pseudo_b
  FROM (
    SELECT *, $DEVICE_DRAWS
    FROM (
      SELECT *, floor($DEVICES * pow($UDEVICE, 1.6))::BIGINT AS device,
        0.5 + 2.5 * $UPACE AS pace
      FROM placed
    )
  )
),
sess AS (
  SELECT *,
    -- Clamped so that the whole session ends before the window does.
    least(t0, $END - 1 - ceil(pace * ((len - 1) * 45 + 40) * 1000000.0)::BIGINT) AS start_us,
    $UMKT < 0.05 AS on_marketing_site,
    NOT anonymous_device AND $USIGNIN < 0.85 AS signed_in,
    $UOUTCOME AS u_outcome
  FROM devices
),
sess2 AS (
  SELECT *,
    CASE WHEN on_marketing_site THEN 0
         ELSE least(len - 2, (u_outcome < 0.12)::INTEGER + (u_outcome < 0.055)::INTEGER
                             + (u_outcome < 0.028)::INTEGER) END AS funnel_steps
  FROM sess
),
events AS (
  -- Draws keyed by kk: a session_start shares the page of the first page_view.
  SELECT *, $PAGE_DRAWS
  FROM (
    SELECT *, greatest(k, 1) AS kk
    FROM (SELECT *, unnest(range(len)) AS k FROM sess2)
    WHERE first_row + k < $N
  )
),
named AS (
  SELECT *,
    CASE WHEN k = 0 THEN 'session_start'
         WHEN k >= len - funnel_steps
           THEN ['add_to_cart', 'begin_checkout', 'purchase'][k - (len - funnel_steps) + 1]
         ELSE 'page_view' END AS event_name,
    start_us + floor(pace * (k * 45 + 40 * $UGAP) * 1000000.0)::BIGINT AS ts
  FROM events
)
SELECT
  make_timestamp(ts) AS event_timestamp,
  event_name,
  pseudo_a::VARCHAR || '.' || pseudo_b::VARCHAR AS user_pseudo_id,
  CASE WHEN signed_in THEN 'rei_' || lpad(owner::VARCHAR, 6, '0') END AS user_id,
  start_us // 1000000 AS ga_session_id,
  CASE WHEN on_marketing_site THEN $MARKETING
       WHEN event_name = 'add_to_cart' THEN $BASE || '/buybox/deals/' || $ID
       WHEN event_name = 'begin_checkout' THEN $BASE || '/checkout'
       WHEN event_name = 'purchase' THEN $BASE || '/checkout/confirmation'
       WHEN u_null_location < 0.015 THEN NULL
       ELSE $BASE || $PATH END AS page_location,
  CASE WHEN event_name = 'purchase'
       THEN round(149.0 * exp(0.7 * $ZREV)
                  * $RATES[list_position($CURRENCIES, $CLIENT_CURRENCY[client + 1])], 2)
  END AS purchase_revenue,
  CASE WHEN event_name = 'purchase' THEN $CLIENT_CURRENCY[client + 1] END AS currency
FROM named
ORDER BY ts, s, k
)",
      {{"HOURS", sql.HoursCte(shape)},
       {"ULEN", sql.U("s", "length")},
       {"SMAX", std::to_string(plan.rows / 2 + 16)},
       {"PLACE", Sql::PlaceInHour("r.target", sql.U("r.s", "offset"))},
       {"UPOS", sql.U("s", "position")},
       {"N", std::to_string(plan.rows)},
       {"CLIENT", PickIndex("u_client", client_weights)},
       {"DEVICE_DRAWS", sql.Draws("device", {"client", "anonymous", "owner"})},
       {"OWNERS", std::to_string(owners)},
       {"HPSEUDO", sql.H("device", "pseudo_id")},
       {"HFIRST", sql.H("device", "first_seen")},
       {"DEVICES", std::to_string(devices)},
       {"UDEVICE", sql.U("s", "device")},
       {"UPACE", sql.U("s", "pace")},
       {"END", std::to_string(plan.end_us)},
       {"UMKT", sql.U("s", "marketing")},
       {"USIGNIN", sql.U("s", "signin")},
       {"UOUTCOME", sql.U("s", "outcome")},
       {"UGAP", sql.U("s, k", "gap")},
       {"PAGE_DRAWS", sql.Draws("s, kk", {"marketing_page", "page_id", "null_location", "path"})},
       {"MARKETING", Pick("u_marketing_page", marketing)},
       {"BASE",
        std::string("('https://' || ") + StrList(kClients) + "[client + 1] || '.8020rei.com')"},
       {"ID", id},
       {"PATH", Pick("u_path", paths)},
       {"ZREV", sql.Z("s", "revenue")},
       {"RATES", NumList(kUsdRate)},
       {"CURRENCIES", StrList(kCurrencies)},
       {"CLIENT_CURRENCY", StrList(kClientCurrency)}});
}

// ---- DuckDB --------------------------------------------------------------------------------

//! One database file and one connection, closed on destruction.
class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database() { Close(); }

  Status Open(const std::string& path) {
    // The generator needs nothing beyond the built-in functions; never touch the network.
    duckdb_internal::DatabaseHandle db;
    if (Status st =
            duckdb_internal::OpenOfflineDatabase(path, {{"enable_external_access", "false"}}, db);
        !st.ok()) {
      return Unavailable("could not create " + path + ": " + st.message());
    }
    db_ = db.release();
    if (duckdb_connect(db_, &con_) != DuckDBSuccess) {
      con_ = nullptr;
      return Internal("could not connect to " + path);
    }
    return Status::Ok();
  }

  Status Exec(const std::string& sql) {
    duckdb_result result;
    if (duckdb_query(con_, sql.c_str(), &result) != DuckDBSuccess) {
      const char* error = duckdb_result_error(&result);
      Status status = Internal(error ? error : "query failed");
      duckdb_destroy_result(&result);
      return status;
    }
    duckdb_destroy_result(&result);
    return Status::Ok();
  }

  void Close() {
    if (con_) duckdb_disconnect(&con_);
    if (db_) duckdb_close(&db_);
    con_ = nullptr;
    db_ = nullptr;
  }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
};

void RemoveQuietly(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::filesystem::remove(path.string() + ".wal", ec);
}

Status Validate(const DemoDataOptions& options) {
  if (options.path.empty()) return InvalidArgument("demo data: the output path is empty");
  if (options.rows < 1 || options.rows > kMaxRows) {
    return InvalidArgument("demo data: rows must be between 1 and " + std::to_string(kMaxRows) +
                           ", got " + std::to_string(options.rows));
  }
  if (options.days < 1 || options.days > kMaxDays) {
    return InvalidArgument("demo data: days must be between 1 and " + std::to_string(kMaxDays) +
                           ", got " + std::to_string(options.days));
  }
  return Status::Ok();
}

}  // namespace

Status GenerateDemoData(const DemoDataOptions& options) {
  TRIB_RETURN_IF_ERROR(Validate(options));
  const int64_t end_us =
      options.end_micros.value_or(std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  const Plan plan = MakePlan(options, end_us);

  namespace fs = std::filesystem;
  const fs::path target(options.path);
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      std::string msg = "cannot create directory " + target.parent_path().string() + ": " +
                        ec.message() + " (writing demo data " + options.path + ")";
      return ec == std::errc::permission_denied ? PermissionDenied(std::move(msg))
                                                : Unavailable(std::move(msg));
    }
  }
  const fs::path temp = options.path + ".tmp-" + std::to_string(::getpid());
  RemoveQuietly(temp);

  Status status = [&]() -> Status {
    Database db;
    TRIB_RETURN_IF_ERROR(db.Open(temp.string()));
    TRIB_RETURN_IF_ERROR(db.Exec(LlmSql(plan)).WithContext("generating llm_logs"));
    TRIB_RETURN_IF_ERROR(db.Exec(WebSql(plan)).WithContext("generating web_events"));
    TRIB_RETURN_IF_ERROR(db.Exec("CHECKPOINT"));
    db.Close();
    return Status::Ok();
  }();
  if (status.ok()) {
    // A log left beside an older file would be replayed onto the new one.
    fs::remove(target.string() + ".wal", ec);
    fs::rename(temp, target, ec);
    if (ec) {
      status = Unavailable("cannot move " + temp.string() + " to " + target.string() + ": " +
                           ec.message());
    }
  }
  if (!status.ok()) {
    RemoveQuietly(temp);
    return status.WithContext("writing demo data " + options.path);
  }
  fs::remove(temp.string() + ".wal", ec);
  return Status::Ok();
}

Status EnsureDemoData(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return Status::Ok();
  DemoDataOptions options;
  options.path = path;
  return GenerateDemoData(options);
}

}  // namespace tributary
