#include "support/packs_dataset.h"

#include <duckdb.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string_view>
#include <tuple>

#include "connectors/common/http_client.h"

namespace tributary::packs_test {
namespace {

constexpr int64_t kSecond = 1000000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// splitmix64: tiny, and the same sequence on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  bool Chance(int percent) { return Below(100) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Below(static_cast<int64_t>(items.size())))];
  }

 private:
  uint64_t state_;
};

std::string Padded(int64_t n, int width) {
  std::string digits = std::to_string(n);
  std::string out(static_cast<size_t>(width > static_cast<int>(digits.size())
                                          ? width - static_cast<int>(digits.size())
                                          : 0),
                  '0');
  out.append(digits);
  return out;
}

// Timestamps every window of the suite's parameter sets starts or ends on, with the rows a
// microsecond (and half a second) either side: midnights of the last 40 days, now, now - 1 h,
// now - 6 h, now - 24 h, and the same around the fractional asOf (now + 0.25 s).
std::vector<int64_t> BoundaryTimes() {
  std::vector<int64_t> out;
  auto around = [&](int64_t t) {
    for (int64_t d : {int64_t{0}, int64_t{-1}, int64_t{1}, -kSecond / 2, kSecond / 2}) {
      out.push_back(t + d);
    }
  };
  const int64_t today = kAsOfMicros / kDay * kDay;
  for (int back = -1; back <= 40; ++back) around(today - back * kDay);
  for (int64_t now : {kAsOfMicros, kAsOfMicros + kSecond / 4}) {
    for (int64_t h : {0, 1, 6, 24, 48}) around(now - h * kHour);
  }
  return out;
}

// The span the random rows cover: 40 days back from now to 12 hours after it (rows after now
// must stay out of hour windows but inside today's date windows).
int64_t RandomTime(Rng& rng) {
  const int64_t start = kAsOfMicros - 40 * kDay;
  const int64_t span = 40 * kDay + 12 * kHour;
  int64_t t = start + rng.Below(span);
  // A third of the rows on whole seconds, the rest with a fraction.
  if (rng.Chance(33)) t = t / kSecond * kSecond;
  return t;
}

// --- llm_logs -------------------------------------------------------------------------------

const std::vector<std::string> kTenants = {
    "globex",          "initech", "umbrella", "\xC3\x9Cmlaut-Corp",
    "\xC3\xA9mile-sa", "hooli",   "O'Reilly", "globex "};  // a trailing space is another tenant
const std::vector<std::string> kModels = {"gpt-4o", "claude-3", "llama-3", "mistral"};
const std::vector<std::string> kCategories = {"chat", "rag", "embedding", "completion",
                                              "chat", "rag", "chat "};
const std::vector<std::string> kErrorTypes = {"timeout", "rate_limit", "server_error",
                                              "content_filter", "bad_request"};
const std::vector<std::string> kAnomalyTypes = {
    "latency_spike", "token_burst", "cost_outlier", "loop", "jailbreak", "drift", "Drift"};

std::string LlmUser(Rng& rng) {
  int64_t k = rng.Below(44);
  if (k == 40) return "U-001";        // case twin of u-001
  if (k == 41) return "u-003 ";       // trailing space: not u-003
  if (k == 42) return "jos\xC3\xA9";  // non-ASCII
  if (k == 43) return "Jos\xC3\xA9";
  if (k == 39 && rng.Chance(30)) return "";  // empty, not NULL: a user of its own
  return "u-" + Padded(k + 1, 3);
}

LlmRow RandomLlm(Rng& rng, int64_t ts, const std::string& tenant, const std::string& id) {
  LlmRow r;
  r.ts = ts;
  r.request_id = id;
  r.tenant_id = tenant;
  r.user_id = LlmUser(rng);
  r.model = rng.Pick(kModels);
  r.status = rng.Chance(15) ? "error" : "success";
  if (r.status == "error") {
    int64_t k = rng.Below(10);
    if (k < 2) {
      r.error_type = std::nullopt;  // counts as unknown
    } else if (k == 2) {
      // "unknown" is the same group as NULL; "" is not NULL and stays its own type.
      r.error_type = rng.Chance(80) ? "unknown" : "";
    } else {
      r.error_type = rng.Pick(kErrorTypes);
    }
  }
  r.latency_ms = 20 + static_cast<double>(rng.Below(400000)) / 100.0;
  r.query_category = rng.Pick(kCategories);
  if (tenant == "zeta") {
    // A tenant whose tokens are all zero: its ratios divide by zero and must be 0.
    r.prompt_tokens = 0;
    r.completion_tokens = 0;
    r.cost_usd = 0;
  } else {
    r.prompt_tokens = rng.Below(4000);
    r.completion_tokens = r.query_category == "embedding" ? 0 : rng.Below(1500);
    r.cost_usd = static_cast<double>(r.prompt_tokens * 3 + r.completion_tokens * 15) / 1e6;
  }
  r.is_anomaly = rng.Chance(8);
  if (r.is_anomaly && !rng.Chance(15)) r.anomaly_type = rng.Pick(kAnomalyTypes);
  return r;
}

// --- web_events -----------------------------------------------------------------------------

// 26 clients (more than the top 20), with case twins and non-ASCII names.
const std::vector<std::string> kClients = {"acme",
                                           "ACME",
                                           "globex",
                                           "b\xC3\xBC"
                                           "cher",
                                           "initech",
                                           "x-12",
                                           "hooli",
                                           "umbrella",
                                           "stark",
                                           "wayne",
                                           "tyrell",
                                           "cyberdyne",
                                           "soylent",
                                           "wonka",
                                           "aperture",
                                           "massive",
                                           "vault",
                                           "oscorp",
                                           "gringotts",
                                           "nakatomi",
                                           "dunder",
                                           "pied",
                                           "krusty",
                                           "monarch",
                                           "bluth",
                                           "prestige"};
const std::vector<std::string> kPaths = {"/home",
                                         "/home?tab=1",
                                         "/buybox/deals/123",
                                         "/buybox",
                                         "/buybox/dealsX",
                                         "/properties/9",
                                         "/importer",
                                         "/integrations/api-tokens",
                                         "/integrations",
                                         "/session/login",
                                         "/HOME",
                                         "/settings",
                                         "/home/buybox",
                                         "/properties/buybox",
                                         "/",
                                         "/caf\xC3\xA9/home",
                                         "/docs/v1x0",
                                         "/api_tokens",
                                         "/apiXtokens",
                                         "/50%_off"};
const std::vector<std::string> kEventNames = {
    "page_view",      "page_view",     "page_view", "page_view",   "page_view",
    "page_view",      "page_view",     "page_view", "page_view",   "page_view",
    "session_start",  "session_start", "scroll",    "add_to_cart", "add_to_cart",
    "begin_checkout", "purchase",      "purchase",  "Page_View",   "user_engagement",
    "purchase ",      "PURCHASE"};  // not purchases: a trailing space, another case
const std::vector<std::string> kCurrencies = {"USD", "USD", "USD", "MXN", "MXN",
                                              "COP", "usd", "EUR", "USD "};

std::string RandomUrl(Rng& rng) {
  // Skewed towards the first clients so that events differ per client.
  int64_t a = rng.Below(static_cast<int64_t>(kClients.size()));
  int64_t b = rng.Below(static_cast<int64_t>(kClients.size()));
  const std::string& client = kClients[static_cast<size_t>(a < b ? a : b)];
  const std::string& path = rng.Pick(kPaths);
  switch (rng.Below(14)) {
    case 0:
      return "http://" + client + ".8020rei.com" + path;  // not https: no client
    case 1:
      return "https://" + client + ".8020REI.com" + path;  // case differs: no client
    case 2:
      return "https://www.example.com" + path;
    case 3:
      return "https://a.b.8020rei.com" + path;  // a dot inside the host part: no client
    case 4:
      return "https://" + client + ".8020rei.com.evil.io" + path;  // still matches the prefix
    default:
      return "https://" + client + ".8020rei.com" + path;
  }
}

struct Device {
  std::string pseudo_id;
  std::optional<std::string> user_id;
};

std::vector<Device> MakeDevices(Rng& rng) {
  std::vector<Device> devices;
  for (int i = 1; i <= 150; ++i) {
    Device d{"dev-" + Padded(i, 3), std::nullopt};
    if (rng.Chance(55)) d.user_id = "user-" + Padded(rng.Below(40) + 1, 2);
    devices.push_back(d);
  }
  devices.push_back({"DEV-001", std::nullopt});  // case twin of dev-001
  devices.push_back(
      {"dev-\xC3\xBC"
       "1",
       "user-\xC3\xBC"});                                  // non-ASCII
  devices.push_back({"dev-777", std::string("dev-002")});  // user_id equal to another device
  devices.push_back({"dev-empty", std::string("")});       // empty user_id is not NULL
  devices.push_back({"dev-big", std::nullopt});            // session ids beyond 2^53
  return devices;
}

WebRow RandomWeb(Rng& rng, int64_t ts, const std::vector<Device>& devices) {
  WebRow r;
  r.ts = ts;
  const Device& d = rng.Pick(devices);
  r.user_pseudo_id = d.pseudo_id;
  if (d.user_id && rng.Chance(70)) r.user_id = d.user_id;
  // A few sessions per device and day; session ids repeat across devices on purpose.
  r.ga_session_id = 1763000000 + (ts / kDay) % 1000 * 10 + rng.Below(3);
  // Two sessions a double cannot tell apart: counting them through a float merges them.
  if (d.pseudo_id == "dev-big") r.ga_session_id = 9007199254740992LL + rng.Below(2);
  r.event_name = rng.Pick(kEventNames);
  if (!rng.Chance(8)) r.page_location = rng.Chance(2) ? std::string() : RandomUrl(rng);
  if (r.event_name == "purchase") {
    if (!rng.Chance(20)) r.purchase_revenue = static_cast<double>(rng.Below(100000)) / 100.0;
    if (r.purchase_revenue && rng.Chance(4)) r.purchase_revenue = -*r.purchase_revenue;  // refund
    if (!rng.Chance(10)) r.currency = rng.Pick(kCurrencies);
  } else if (r.event_name == "add_to_cart" && rng.Chance(50)) {
    r.currency = rng.Pick(kCurrencies);  // a currency without revenue
  }
  return r;
}

}  // namespace

int64_t DaysFromCivilDate(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDaysNumber(int64_t z, int64_t* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2);
}

std::string SqlTimestampText(int64_t micros) {
  int64_t days = micros >= 0 ? micros / kDay : -((-micros + kDay - 1) / kDay);
  int64_t rest = micros - days * kDay;
  int64_t y;
  int m, d;
  CivilFromDaysNumber(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02lld:%02lld:%02lld", static_cast<long long>(y),
                m, d, static_cast<long long>(rest / kHour),
                static_cast<long long>(rest / kMinute % 60),
                static_cast<long long>(rest / kSecond % 60));
  std::string out = buf;
  if (rest % kSecond != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(rest % kSecond));
    out.append(buf);
  }
  return out;
}

Dataset GenerateDataset(uint64_t seed, bool whole_seconds) {
  Rng rng(seed);
  Dataset data;
  int64_t next_id = 1;
  auto id = [&]() { return "req-" + Padded(next_id++, 6); };

  std::vector<int64_t> times;
  for (int i = 0; i < 2600; ++i) times.push_back(RandomTime(rng));
  for (int64_t t : BoundaryTimes()) times.push_back(t);
  for (int64_t t : times) data.llm.push_back(RandomLlm(rng, t, rng.Pick(kTenants), id()));
  // A tenant with only zero-token rows.
  for (int i = 0; i < 30; ++i) data.llm.push_back(RandomLlm(rng, RandomTime(rng), "zeta", id()));
  // One request with token counts beyond 32 bits (int64 columns): sums through a 32-bit
  // integer would wrap. It lands inside the last day, so most windows see it.
  LlmRow whale = RandomLlm(rng, kAsOfMicros - 3 * kHour - 123457, "globex", id());
  whale.prompt_tokens = 4000000000LL;
  whale.completion_tokens = 3000000001LL;
  whale.cost_usd =
      static_cast<double>(whale.prompt_tokens * 3 + whale.completion_tokens * 15) / 1e6;
  data.llm.push_back(whale);
  // Twin rows: two requests at the same instant that differ only in the case of their tenant,
  // category, error and anomaly type, so every grouping of them ties in every window and only
  // a byte-order tie-break orders them ('ACME' < 'acme'). Their ids differ only in case too.
  for (int i = 0; i < 160; ++i) {
    const int64_t t = RandomTime(rng);
    const std::string base = id();
    LlmRow lower = RandomLlm(rng, t, "acme", base + "-b");
    lower.query_category = "agent";
    if (lower.status == "error") lower.error_type = "quota";
    if (lower.is_anomaly) lower.anomaly_type = "spike";
    LlmRow upper = lower;
    upper.request_id = base + "-B";
    upper.tenant_id = "ACME";
    upper.query_category = "Agent";
    if (upper.status == "error") upper.error_type = "Quota";
    if (upper.is_anomaly) upper.anomaly_type = "Spike";
    data.llm.push_back(lower);
    data.llm.push_back(upper);
  }

  const std::vector<Device> devices = MakeDevices(rng);
  for (int i = 0; i < 3800; ++i) data.web.push_back(RandomWeb(rng, RandomTime(rng), devices));
  for (int64_t t : BoundaryTimes()) data.web.push_back(RandomWeb(rng, t, devices));

  if (whole_seconds) {
    auto floor_second = [](int64_t t) {
      return (t >= 0 ? t / kSecond : -((-t + kSecond - 1) / kSecond)) * kSecond;
    };
    for (auto& r : data.llm) r.ts = floor_second(r.ts);
    for (auto& r : data.web) r.ts = floor_second(r.ts);
  }
  return data;
}

std::string PacksNamespace() {
  const char* v = std::getenv("TRIB_TEST_PACKS_NAMESPACE");
  std::string ns = v && *v ? v : "packs_eq";
  for (char c : ns) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return "";
  }
  return ns;
}

std::string DatasetVersion() {
  // FNV-1a over every generated value: a changed generator re-creates the fixtures.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xFF) * 1099511628211ULL;
  };
  for (bool whole : {false, true}) {
    Dataset d = GenerateDataset(kDatasetSeed, whole);
    for (const auto& r : d.llm) {
      mix(std::to_string(r.ts));
      mix(r.request_id);
      mix(r.tenant_id);
      mix(r.user_id);
      mix(r.error_type.value_or("\x01"));
      mix(std::to_string(r.latency_ms));
      mix(std::to_string(r.prompt_tokens));
      mix(r.anomaly_type.value_or("\x01"));
    }
    for (const auto& r : d.web) {
      mix(std::to_string(r.ts));
      mix(r.event_name);
      mix(r.user_pseudo_id);
      mix(r.user_id.value_or("\x01"));
      mix(r.page_location.value_or("\x01"));
      mix(r.currency.value_or("\x01"));
    }
  }
  mix("layout-8");  // bump when a loader's table layout changes
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string RenamedColumn(const std::string& canonical) {
  if (canonical == "timestamp") return "Logged At";
  if (canonical == "event_timestamp") return "EventTime";
  std::string out = "src_";
  out.append(canonical);
  return out;
}

// --- SQL text -------------------------------------------------------------------------------

namespace {

enum class Engine { kDuckDb, kDuckDbTz, kPostgres, kPostgresTs, kMariaDb, kSqlite, kClickHouse };

std::string Quoted(std::string_view s, Engine engine) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out.append(engine == Engine::kClickHouse ? "\\'" : "''");
    } else if (c == '\\' && (engine == Engine::kClickHouse || engine == Engine::kMariaDb)) {
      out.append("\\\\");
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string Nullable(const std::optional<std::string>& s, Engine engine) {
  return s ? Quoted(*s, engine) : std::string("NULL");
}

std::string DoubleText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string TimeLiteral(int64_t ts, Engine engine) {
  std::string text = SqlTimestampText(ts);
  switch (engine) {
    case Engine::kDuckDbTz:
    case Engine::kPostgres:
      text.append("+00");
      break;
    case Engine::kClickHouse:
      text = text.substr(0, 19);
      break;
    default:
      break;
  }
  return Quoted(text, engine);
}

std::string BoolText(bool b, Engine engine) {
  if (engine == Engine::kDuckDb || engine == Engine::kDuckDbTz || engine == Engine::kPostgres ||
      engine == Engine::kPostgresTs) {
    return b ? "true" : "false";
  }
  return b ? "1" : "0";
}

std::string LlmValues(const LlmRow& r, Engine e) {
  std::string v = "(";
  v += TimeLiteral(r.ts, e) + "," + Quoted(r.request_id, e) + "," + Quoted(r.tenant_id, e) + "," +
       Quoted(r.user_id, e) + "," + Quoted(r.model, e) + "," + Quoted(r.status, e) + "," +
       Nullable(r.error_type, e) + "," + DoubleText(r.latency_ms) + "," +
       std::to_string(r.prompt_tokens) + "," + std::to_string(r.completion_tokens) + "," +
       DoubleText(r.cost_usd) + "," + Quoted(r.query_category, e) + "," +
       BoolText(r.is_anomaly, e) + "," + Nullable(r.anomaly_type, e) + ")";
  return v;
}

std::string WebValues(const WebRow& r, Engine e) {
  std::string v = "(";
  v += TimeLiteral(r.ts, e) + "," + Quoted(r.event_name, e) + "," + Quoted(r.user_pseudo_id, e) +
       "," + Nullable(r.user_id, e) + "," + std::to_string(r.ga_session_id) + "," +
       Nullable(r.page_location, e) + "," +
       (r.purchase_revenue ? DoubleText(*r.purchase_revenue) : std::string("NULL")) + "," +
       Nullable(r.currency, e) + ")";
  return v;
}

const std::vector<std::string> kLlmColumns = {
    "timestamp", "request_id",     "tenant_id",  "user_id",       "model",
    "status",    "error_type",     "latency_ms", "prompt_tokens", "completion_tokens",
    "cost_usd",  "query_category", "is_anomaly", "anomaly_type"};
const std::vector<std::string> kWebColumns = {"event_timestamp",  "event_name",    "user_pseudo_id",
                                              "user_id",          "ga_session_id", "page_location",
                                              "purchase_revenue", "currency"};

// Multi-row INSERTs of `batch` rows each.
template <typename Row>
std::vector<std::string> Inserts(const std::string& table_and_columns, const std::vector<Row>& rows,
                                 const std::function<std::string(const Row&)>& values,
                                 size_t batch = 500) {
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); i += batch) {
    std::string sql = "INSERT INTO " + table_and_columns + " VALUES ";
    for (size_t j = i; j < rows.size() && j < i + batch; ++j) {
      if (j > i) sql.push_back(',');
      sql.append(values(rows[j]));
    }
    out.push_back(std::move(sql));
  }
  return out;
}

// Column definitions in canonical order, with the engine's types; `names` maps each canonical
// name to the stored one (identity but for the renamed DuckDB tables).
std::string LlmDdl(Engine e, const std::function<std::string(const std::string&)>& name) {
  std::string ts, boolean, text = "VARCHAR", ntext = "VARCHAR", dbl = "DOUBLE", i64 = "BIGINT";
  switch (e) {
    case Engine::kDuckDb:
      ts = "TIMESTAMP";
      boolean = "BOOLEAN";
      break;
    case Engine::kDuckDbTz:
      ts = "TIMESTAMPTZ";
      boolean = "BOOLEAN";
      break;
    case Engine::kPostgres:
      ts = "timestamptz";
      boolean = "boolean";
      text = ntext = "text";
      dbl = "double precision";
      break;
    case Engine::kPostgresTs:
      ts = "timestamp";
      boolean = "boolean";
      text = ntext = "text";
      dbl = "double precision";
      break;
    case Engine::kMariaDb:
      ts = "DATETIME(6)";
      boolean = "TINYINT(1)";
      text = ntext = "VARCHAR(255)";
      break;
    case Engine::kSqlite:
      ts = "TEXT";
      boolean = "INTEGER";
      text = ntext = "TEXT";
      dbl = "REAL";
      i64 = "INTEGER";
      break;
    case Engine::kClickHouse:
      ts = "DateTime('UTC')";
      boolean = "UInt8";
      text = "String";
      ntext = "Nullable(String)";
      dbl = "Float64";
      i64 = "Int64";
      break;
  }
  const std::vector<std::string> types = {ts,  text, text, text, text, text,    ntext,
                                          dbl, i64,  i64,  dbl,  text, boolean, ntext};
  std::string ddl;
  for (size_t i = 0; i < kLlmColumns.size(); ++i) {
    if (i) ddl.append(", ");
    ddl.append(name(kLlmColumns[i]) + " " + types[i]);
    if (types[i] != ntext && e != Engine::kClickHouse) ddl.append(" NOT NULL");
  }
  return ddl;
}

std::string WebDdl(Engine e, const std::function<std::string(const std::string&)>& name) {
  std::string ts, text = "VARCHAR", ntext = "VARCHAR", dbl = "DOUBLE", ndbl = "DOUBLE",
                  i64 = "BIGINT";
  switch (e) {
    case Engine::kDuckDb:
      ts = "TIMESTAMP";
      break;
    case Engine::kDuckDbTz:
      ts = "TIMESTAMPTZ";
      break;
    case Engine::kPostgres:
    case Engine::kPostgresTs:
      ts = e == Engine::kPostgres ? "timestamptz" : "timestamp";
      text = ntext = "text";
      dbl = ndbl = "double precision";
      break;
    case Engine::kMariaDb:
      ts = "DATETIME(6)";
      text = ntext = "VARCHAR(1000)";
      break;
    case Engine::kSqlite:
      ts = "TEXT";
      text = ntext = "TEXT";
      dbl = ndbl = "REAL";
      i64 = "INTEGER";
      break;
    case Engine::kClickHouse:
      ts = "DateTime('UTC')";
      text = "String";
      ntext = "Nullable(String)";
      dbl = "Float64";
      ndbl = "Nullable(Float64)";
      i64 = "Int64";
      break;
  }
  const std::vector<std::string> types = {ts, text, text, ntext, i64, ntext, ndbl, ntext};
  const std::vector<bool> nullable = {false, false, false, true, false, true, true, true};
  std::string ddl;
  for (size_t i = 0; i < kWebColumns.size(); ++i) {
    if (i) ddl.append(", ");
    ddl.append(name(kWebColumns[i]) + " " + types[i]);
    if (!nullable[i] && e != Engine::kClickHouse) ddl.append(" NOT NULL");
  }
  return ddl;
}

std::string ColumnList(const std::vector<std::string>& columns,
                       const std::function<std::string(const std::string&)>& name) {
  std::string out = "(";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out.append(", ");
    out.append(name(columns[i]));
  }
  out.push_back(')');
  return out;
}

// Every statement that creates and fills `llm_table` and `web_table` for `engine`.
std::vector<std::string> TableStatements(Engine e, const std::string& llm_table,
                                         const std::string& web_table, const Dataset& data,
                                         const std::function<std::string(const std::string&)>& name,
                                         const std::string& create_suffix = "") {
  std::vector<std::string> out;
  out.push_back("DROP TABLE IF EXISTS " + llm_table);
  out.push_back("DROP TABLE IF EXISTS " + web_table);
  out.push_back("CREATE TABLE " + llm_table + " (" + LlmDdl(e, name) + ")" + create_suffix);
  out.push_back("CREATE TABLE " + web_table + " (" + WebDdl(e, name) + ")" + create_suffix);
  for (auto& s : Inserts<LlmRow>(llm_table + " " + ColumnList(kLlmColumns, name), data.llm,
                                 [e](const LlmRow& r) { return LlmValues(r, e); })) {
    out.push_back(std::move(s));
  }
  for (auto& s : Inserts<WebRow>(web_table + " " + ColumnList(kWebColumns, name), data.web,
                                 [e](const WebRow& r) { return WebValues(r, e); })) {
    out.push_back(std::move(s));
  }
  return out;
}

std::function<std::string(const std::string&)> QuoteWith(char q) {
  return [q](const std::string& c) {
    std::string out(1, q);
    out.append(c);
    out.push_back(q);
    return out;
  };
}

// `CREATE TABLE <to>[ <options>] AS SELECT` of `from` with every column renamed
// (RenamedColumn), the same rows under the names a project binding maps back.
std::vector<std::string> RenamedCopies(const std::string& from_prefix, const std::string& to_prefix,
                                       const std::string& suffix, char quote,
                                       const std::string& options = "") {
  std::vector<std::string> out;
  auto q = QuoteWith(quote);
  for (const auto& [table, columns] : {std::pair{std::string("llm_logs"), kLlmColumns},
                                       std::pair{std::string("web_events"), kWebColumns}}) {
    std::string renamed;
    for (const auto& c : columns) {
      if (!renamed.empty()) renamed.append(", ");
      renamed.append(q(c) + " AS " + q(RenamedColumn(c)));
    }
    const std::string to = to_prefix + q(table + suffix);
    out.push_back("DROP TABLE IF EXISTS " + to);
    out.push_back("CREATE TABLE " + to + options + " AS SELECT " + renamed + " FROM " +
                  from_prefix + q(table));
  }
  return out;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string DuckDbParquetPath(const std::string& duckdb_path, const std::string& table) {
  std::string base = duckdb_path;
  if (base.size() > 7 && base.compare(base.size() - 7, 7, ".duckdb") == 0) {
    base.resize(base.size() - 7);
  }
  base.append("_");
  base.append(table);
  base.append(".parquet");
  return base;
}

std::string LoadDuckDb(const std::string& path, const Dataset& data) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::filesystem::remove(path + ".wal", ec);
  duckdb_database db;
  if (duckdb_open(path.c_str(), &db) != DuckDBSuccess) return "cannot create " + path;
  duckdb_connection con;
  if (duckdb_connect(db, &con) != DuckDBSuccess) {
    duckdb_close(&db);
    return "cannot connect to " + path;
  }
  std::vector<std::string> all = {"SET TimeZone = 'UTC'"};
  auto add = [&](std::vector<std::string> more) {
    for (auto& s : more) all.push_back(std::move(s));
  };
  all.push_back("BEGIN");
  add(TableStatements(Engine::kDuckDb, "llm_logs", "web_events", data, QuoteWith('"')));
  // The variants are copies of the same rows (parsing the VALUES again would triple the load
  // time): TIMESTAMPTZ columns, and every column renamed.
  for (const auto& [table, columns, ts] :
       {std::tuple{std::string("llm_logs"), kLlmColumns, std::string("timestamp")},
        std::tuple{std::string("web_events"), kWebColumns, std::string("event_timestamp")}}) {
    all.push_back("CREATE TABLE " + table + "_tz AS SELECT * REPLACE (CAST(\"" + ts +
                  "\" AS TIMESTAMPTZ) AS \"" + ts + "\") FROM " + table);
    std::string renamed;
    for (const auto& c : columns) {
      if (!renamed.empty()) renamed.append(", ");
      renamed.append("\"" + c + "\" AS \"" + RenamedColumn(c) + "\"");
    }
    all.push_back("CREATE TABLE " + table + "_renamed AS SELECT " + renamed + " FROM " + table);
  }
  all.push_back("COMMIT");
  // Parquet files, as a DuckDB source also reads them (`tables:`).
  for (const std::string table : {"llm_logs", "web_events"}) {
    const std::string file = DuckDbParquetPath(path, table);
    std::filesystem::remove(file, ec);
    all.push_back("COPY " + table + " TO '" + file + "' (FORMAT PARQUET)");
  }
  std::string error;
  for (const auto& sql : all) {
    duckdb_result result;
    if (duckdb_query(con, sql.c_str(), &result) != DuckDBSuccess) {
      error = "DuckDB: " + std::string(duckdb_result_error(&result)) + " in " + sql.substr(0, 300);
      duckdb_destroy_result(&result);
      break;
    }
    duckdb_destroy_result(&result);
  }
  duckdb_disconnect(&con);
  duckdb_close(&db);
  return error;
}

PgServer SharedPgServer() {
  return {Env("TRIB_TEST_PG_HOST"), Env("TRIB_TEST_PG_PORT"), Env("TRIB_TEST_PG_USER"),
          Env("TRIB_TEST_PG_PASSWORD"), Env("TRIB_TEST_PG_DB")};
}

namespace {

PGconn* ConnectPostgres(const PgServer& server, std::string* error) {
  const char* keys[] = {"host", "port", "user", "password", "dbname", nullptr};
  const char* values[] = {server.host.c_str(),     server.port.c_str(),   server.user.c_str(),
                          server.password.c_str(), server.dbname.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 0);
  if (PQstatus(conn) != CONNECTION_OK) {
    *error = "PostgreSQL: " + std::string(PQerrorMessage(conn));
    PQfinish(conn);
    return nullptr;
  }
  return conn;
}

}  // namespace

std::string ExecPostgres(const PgServer& server, const std::vector<std::string>& statements) {
  std::string error;
  PGconn* conn = ConnectPostgres(server, &error);
  if (!conn) return error;
  for (const auto& sql : statements) {
    PGresult* r = PQexec(conn, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      error = "PostgreSQL: " + std::string(PQerrorMessage(conn)) + " in " + sql.substr(0, 300);
      PQclear(r);
      break;
    }
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

std::string LoadPostgres(const std::string& schema, const Dataset& data) {
  return LoadPostgres(SharedPgServer(), schema, data);
}

std::string LoadPostgres(const PgServer& server, const std::string& schema, const Dataset& data) {
  const std::string q = "\"" + schema + "\"";
  std::vector<std::string> all = {"SET client_min_messages = warning", "SET TimeZone = 'UTC'",
                                  "DROP SCHEMA IF EXISTS " + q + " CASCADE", "CREATE SCHEMA " + q,
                                  "BEGIN"};
  auto add = [&](std::vector<std::string> more) {
    for (auto& s : more) all.push_back(std::move(s));
  };
  add(TableStatements(Engine::kPostgres, q + ".llm_logs", q + ".web_events", data, QuoteWith('"')));
  add(TableStatements(Engine::kPostgresTs, q + ".llm_logs_ts", q + ".web_events_ts", data,
                      QuoteWith('"')));
  add(RenamedCopies(q + ".", q + ".", "_renamed", '"'));
  all.push_back("COMMIT");
  return ExecPostgres(server, all);
}

std::string ExecMariaDb(const std::vector<std::string>& statements) {
  const std::string host = Env("TRIB_TEST_MARIADB_HOST"), user = Env("TRIB_TEST_MARIADB_USER"),
                    password = Env("TRIB_TEST_MARIADB_PASSWORD"),
                    database = Env("TRIB_TEST_MARIADB_DB");
  const unsigned port = static_cast<unsigned>(std::atoi(Env("TRIB_TEST_MARIADB_PORT").c_str()));
  MYSQL* h = mysql_init(nullptr);
  if (h == nullptr) return "mysql_init failed";
  mysql_optionsv(h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_optionsv(h, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  if (mysql_real_connect(h, host.c_str(), user.c_str(), password.c_str(), database.c_str(), port,
                         nullptr, 0) == nullptr) {
    std::string message = mysql_error(h);
    mysql_close(h);
    return "MariaDB: " + message;
  }
  std::string error;
  for (const auto& sql : statements) {
    if (mysql_real_query(h, sql.data(), sql.size()) != 0) {
      error = "MariaDB: " + std::string(mysql_error(h)) + " in " + sql.substr(0, 300);
      break;
    }
    if (MYSQL_RES* res = mysql_store_result(h)) mysql_free_result(res);
  }
  mysql_close(h);
  return error;
}

std::string LoadMariaDb(const std::string& prefix, const Dataset& data) {
  // The tables use the server's default collation for utf8mb4, as a user's table would.
  std::vector<std::string> all =
      TableStatements(Engine::kMariaDb, "`" + prefix + "_llm_logs`", "`" + prefix + "_web_events`",
                      data, QuoteWith('`'), " DEFAULT CHARSET=utf8mb4");
  // TIMESTAMP(6) copies (the session is UTC, so the stored instants are the same).
  for (const auto& [table, ts] :
       {std::pair<std::string, std::string>{"llm_logs", "timestamp"},
        std::pair<std::string, std::string>{"web_events", "event_timestamp"}}) {
    const std::string from = "`" + prefix + "_" + table + "`";
    const std::string to = "`" + prefix + "_" + table + "_ts`";
    all.push_back("DROP TABLE IF EXISTS " + to);
    all.push_back("CREATE TABLE " + to + " LIKE " + from);
    all.push_back("ALTER TABLE " + to + " MODIFY `" + ts + "` TIMESTAMP(6) NOT NULL");
    all.push_back("INSERT INTO " + to + " SELECT * FROM " + from);
  }
  for (const std::string table : {"llm_logs", "web_events"}) {
    // RenamedCopies quotes one name per table; MariaDB's tables carry the prefix in it.
    std::string renamed;
    for (const auto& c : table == "llm_logs" ? kLlmColumns : kWebColumns) {
      if (!renamed.empty()) renamed.append(", ");
      renamed.append("`" + c + "` AS `" + RenamedColumn(c) + "`");
    }
    const std::string to = "`" + prefix + "_" + table + "_renamed`";
    all.push_back("DROP TABLE IF EXISTS " + to);
    all.push_back("CREATE TABLE " + to + " AS SELECT " + renamed + " FROM `" + prefix + "_" +
                  table + "`");
  }
  return ExecMariaDb(all);
}

std::string LoadSqlite(const std::string& path, const Dataset& data) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    return "cannot create " + path;
  }
  std::vector<std::string> all = {"BEGIN"};
  for (auto& s : TableStatements(Engine::kSqlite, "llm_logs", "web_events", data, QuoteWith('"'))) {
    all.push_back(std::move(s));
  }
  for (auto& s : RenamedCopies("", "", "_renamed", '"')) all.push_back(std::move(s));
  all.push_back("COMMIT");
  std::string error;
  for (const auto& sql : all) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      error = "SQLite: " + std::string(message ? message : "?") + " in " + sql.substr(0, 300);
      sqlite3_free(message);
      break;
    }
  }
  sqlite3_close(db);
  return error;
}

std::string LoadClickHouse(const std::string& database, const Dataset& data) {
  for (const auto& r : data.llm) {
    if (r.ts % kSecond != 0) return "LoadClickHouse needs whole-second rows";
  }
  const std::string url = Env("TRIB_TEST_CLICKHOUSE_URL");
  const std::string q = "`" + database + "`";
  std::vector<std::string> all = {"DROP DATABASE IF EXISTS " + q, "CREATE DATABASE " + q};
  for (auto& s : TableStatements(Engine::kClickHouse, q + ".llm_logs", q + ".web_events", data,
                                 QuoteWith('`'), " ENGINE = MergeTree() ORDER BY tuple()")) {
    all.push_back(std::move(s));
  }
  // Copies with a plain DateTime column (the server's zone, UTC here).
  for (const auto& [table, ddl] :
       {std::pair<std::string, std::string>{"llm_logs",
                                            LlmDdl(Engine::kClickHouse, QuoteWith('`'))},
        std::pair<std::string, std::string>{"web_events",
                                            WebDdl(Engine::kClickHouse, QuoteWith('`'))}}) {
    std::string plain = ddl;
    const std::string zoned = "DateTime('UTC')";
    plain.replace(plain.find(zoned), zoned.size(), "DateTime");
    all.push_back("CREATE TABLE " + q + "." + table + "_dt (" + plain +
                  ") ENGINE = MergeTree() ORDER BY tuple()");
    all.push_back("INSERT INTO " + q + "." + table + "_dt SELECT * FROM " + q + "." + table);
  }
  for (auto& s :
       RenamedCopies(q + ".", q + ".", "_renamed", '`', " ENGINE = MergeTree() ORDER BY tuple()")) {
    all.push_back(std::move(s));
  }
  HttpHandle http;
  for (const auto& sql : all) {
    HttpRequest request;
    request.url = url + "/";
    request.body = sql;
    request.basic_user = Env("TRIB_TEST_CLICKHOUSE_USER");
    request.basic_password = Env("TRIB_TEST_CLICKHOUSE_PASSWORD");
    auto response = http.Perform(request, nullptr);
    if (!response.ok()) return "ClickHouse: " + response.status().ToString();
    if (response->status != 200) {
      return "ClickHouse: HTTP " + std::to_string(response->status) + ": " +
             response->body.substr(0, 500) + " in " + sql.substr(0, 300);
    }
  }
  return "";
}

}  // namespace tributary::packs_test
