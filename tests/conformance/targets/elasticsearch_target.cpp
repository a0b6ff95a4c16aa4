// The Elasticsearch conformance targets "elasticsearch_protocol" and "opensearch_protocol": the
// elasticsearch connector's SQL path against EsProtocolServer
// (tests/connectors/elasticsearch/es_protocol_server.h), a protocol-level server started lazily
// in this process (Elasticsearch itself cannot run here) that keeps the fixtures as indices in
// DuckDB and computes every answer; one server per flavour.
//
// Fixtures: conf_types (id long, i16 short, i32 integer, i64 long, f64 double, flag boolean,
// txt keyword, day/ts/tstz date) and conf_numbers (n long, 1..100000), indexed as documents.
// What ES lacks, honestly flagged: no decimal type (scaled_float is a double), no uuid, no
// interval column type, no binary in SQL results, and ES SQL cannot select object fields
// (so no JSON or array columns). Every `date` field is a UTC instant, so `tstz` is a
// timestamp; `day` comes back as an ES SQL DATE through CAST.
// The slow query reads `conf_slow`, an index the server answers only after a minute (it stops
// waiting at once when the task is cancelled or the request's own timeout passes).
// Not restartable (the server lives in the test process).
// Thread-safety: used by the suite's test thread only.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conformance/conformance_target.h"
#include "connectors/elasticsearch/es_protocol_server.h"

namespace tributary::conformance {
namespace {

using testing::es::EsProtocolServer;
using testing::es::EsServerOptions;

constexpr const char* kUser = "conformance";
constexpr const char* kPassword = "conf-Es-pw-31337";

class ElasticsearchTarget : public Target {
 public:
  //! `flavor` is the server's and the connector's: "elasticsearch" or "opensearch".
  explicit ElasticsearchTarget(std::string flavor = "elasticsearch") : flavor_(std::move(flavor)) {}

  std::string name() const override { return flavor_ + "_protocol"; }
  std::string connector_type() const override { return "elasticsearch"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.timestamp_with_zone = true;  // a `date` field is an instant in UTC
    c.decimal = false;
    c.json = false;    // ES SQL cannot select object fields
    c.arrays = false;  // nor arrays (multi-valued fields are refused by ES SQL)
    c.uuid = false;
    c.interval = false;
    c.bytes = false;
    c.engine_read_only = true;  // ES SQL parses only SELECT / SHOW / DESCRIBE
    c.credentials = true;
    c.restartable = false;
    return c;
  }

  Status PrepareFixtures() override {
    std::call_once(prepared_, [this] { prepare_status_ = Fill(); });
    return prepare_status_;
  }

  Options BaseOptions() const override {
    return MakeOptions({{"url", Server().url()},
                        {"flavor", flavor_},
                        {"user", std::string(kUser)},
                        {"password", std::string(kPassword)},
                        {"connect_timeout_ms", int64_t{3000}}});
  }
  Options BadCredentialOptions() const override {
    return WithOverrides(BaseOptions(), {{"password", std::string("wrong-password")}});
  }
  Options UnreachableOptions() const override {
    return WithOverrides(BaseOptions(), {{"url", std::string("http://127.0.0.1:1")}});
  }

  std::string TypesQuery() const override {
    return "SELECT id, i16, i32, i64, f64, flag, txt, CAST(day AS DATE) AS day, ts, tstz "
           "FROM conf_types ORDER BY id";
  }

  std::vector<ExpectedColumn> ExpectedTypeColumns() const override {
    return {
        {"id", ColumnType::kInt64},     {"i16", ColumnType::kInt64},
        {"i32", ColumnType::kInt64},    {"i64", ColumnType::kInt64},
        {"f64", ColumnType::kDouble},   {"flag", ColumnType::kBool},
        {"txt", ColumnType::kString},   {"day", ColumnType::kDate},
        {"ts", ColumnType::kTimestamp}, {"tstz", ColumnType::kTimestamp},
    };
  }

  std::string ExpectedTypeRowsJson() const override {
    return "["
           "[1,12,-345,1234567890123,2.5,true,\"hello\",\"2024-02-29\","
           "\"2024-02-29T13:14:15Z\",\"2024-02-29T11:14:15Z\"],"
           "[2,null,null,null,null,null,null,null,null,null],"
           "[3,-32768,2147483647,-9223372036854775808,-1.5e300,false,"
           "\"Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600\",\"2105-12-31\","
           "\"1970-01-01T00:00:00Z\",\"2105-12-31T23:59:59Z\"]"
           "]";
  }

  //! ES SQL binds `?` from the typed `params` list.
  std::string Placeholder(int i) const override {
    (void)i;
    return "?";
  }

  std::string SlowQuery(int seconds) const override {
    (void)seconds;
    return "SELECT count(*) FROM conf_slow";
  }

  std::vector<std::string> EngineWrites() const override {
    return {"INSERT INTO conf_numbers VALUES (0)", "DELETE FROM conf_numbers",
            "UPDATE conf_numbers SET n = 0", "DROP TABLE conf_numbers"};
  }

  Status RestartServer() override {
    return Unavailable("the Elasticsearch protocol server runs in the test process");
  }

 private:
  // One server per flavour, started on first use and kept for the process.
  EsProtocolServer& Server() const {
    static std::mutex mu;
    static std::map<std::string, EsProtocolServer*> servers;
    std::lock_guard lock(mu);
    EsProtocolServer*& server = servers[flavor_];
    if (server == nullptr) {
      EsServerOptions options;
      options.flavor = flavor_;
      options.users = {{kUser, kPassword}};
      server = new EsProtocolServer(options);
    }
    return *server;
  }

  Status Fill() {
    EsProtocolServer& s = Server();
    TRIB_RETURN_IF_ERROR(s.CreateIndex(
        "conf_types",
        R"({"id": {"type": "long"}, "i16": {"type": "short"}, "i32": {"type": "integer"},
            "i64": {"type": "long"}, "f64": {"type": "double"}, "flag": {"type": "boolean"},
            "txt": {"type": "keyword"}, "day": {"type": "date", "format": "yyyy-MM-dd"},
            "ts": {"type": "date"}, "tstz": {"type": "date"}})"));
    TRIB_RETURN_IF_ERROR(s.AddDocuments(
        "conf_types", {{"1", R"({"id": 1, "i16": 12, "i32": -345, "i64": 1234567890123, "f64": 2.5,
                   "flag": true, "txt": "hello", "day": "2024-02-29",
                   "ts": "2024-02-29T13:14:15Z", "tstz": "2024-02-29T11:14:15Z"})"},
                       {"2", R"({"id": 2})"},
                       {"3",
                        "{\"id\": 3, \"i16\": -32768, \"i32\": 2147483647, "
                        "\"i64\": -9223372036854775808, \"f64\": -1.5e300, \"flag\": false, "
                        "\"txt\": \"Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600\", "
                        "\"day\": \"2105-12-31\", \"ts\": \"1970-01-01T00:00:00Z\", "
                        "\"tstz\": \"2105-12-31T23:59:59Z\"}"}}));
    TRIB_RETURN_IF_ERROR(s.CreateIndex("conf_numbers", R"({"n": {"type": "long"}})"));
    std::vector<std::pair<std::string, std::string>> docs;
    docs.reserve(100000);
    for (int n = 1; n <= 100000; ++n) {
      docs.emplace_back(fmt::format("{}", n), fmt::format(R"({{"n":{}}})", n));
    }
    TRIB_RETURN_IF_ERROR(s.AddDocuments("conf_numbers", docs));
    TRIB_RETURN_IF_ERROR(s.CreateIndex("conf_slow", R"({"n": {"type": "long"}})"));
    TRIB_RETURN_IF_ERROR(s.AddDocument("conf_slow", "1", R"({"n": 1})"));
    s.SetSlowIndex("conf_slow", std::chrono::milliseconds(60'000));
    return Status::Ok();
  }

  std::string flavor_;
  std::once_flag prepared_;
  Status prepare_status_;
};

const bool kRegistered = RegisterTarget([] { return std::make_unique<ElasticsearchTarget>(); });
// OpenSearch: `/_plugins/_sql` (jdbc answers, no bound parameters, so the parameter cases skip
// on the connector's `parameters` capability).
const bool kRegisteredOpenSearch =
    RegisterTarget([] { return std::make_unique<ElasticsearchTarget>("opensearch"); });

}  // namespace
}  // namespace tributary::conformance
