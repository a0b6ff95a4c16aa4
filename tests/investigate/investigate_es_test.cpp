// The Elasticsearch log gatherer (Query DSL date_histogram and terms aggregations through the
// ES connector) against the protocol-level Elasticsearch test server (EsProtocolServer: ES
// cannot run here, so the test server computes its answers from the documents), through the
// real binary. The documents are the same `cart` log lines as the SQL dialect tests: one every
// 3 s over [09:00, 11:00) on 2026-11-02, one ERROR a minute before 10:40, ten a minute from
// 10:40 (eight "cart db deadlock", two "oops"), latency 20 then 300.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "connectors/elasticsearch/es_protocol_server.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::ServerProcess;
using testing::TempDir;

constexpr int64_t kNine = 1793610000;      // 2026-11-02T09:00:00Z
constexpr int64_t kIncident = 1793616000;  // 10:40

TEST(InvestigateElasticsearch, LogIndexAgainstLocalEsProtocolServer) {
  testing::es::EsProtocolServer es;
  ASSERT_TRUE(es.CreateIndex("applogs", R"({"ts": {"type": "date"}, "service": {"type": "keyword"},
      "level": {"type": "keyword"}, "msg": {"type": "keyword"}, "latency": {"type": "double"}})")
                  .ok());
  std::vector<std::pair<std::string, std::string>> docs;
  for (int i = 0; i < 2400; ++i) {
    const int64_t t = kNine + 3 * i;
    const bool incident = t >= kIncident;
    const bool error = t % 60 < (incident ? 30 : 3);
    std::string msg = !incident ? "slow disk" : (t % 60 < 24 ? "cart db deadlock" : "oops");
    std::string id = "d";
    id.append(std::to_string(i));
    std::string doc = "{\"ts\":\"";
    doc.append(FormatTimestamp(t * 1000000))
        .append("\",\"service\":\"cart\",\"level\":\"")
        .append(error ? "ERROR" : "INFO")
        .append("\",\"msg\":\"")
        .append(msg)
        .append("\",\"latency\":")
        .append(incident ? "300" : "20")
        .append("}");
    docs.emplace_back(id, doc);
  }
  ASSERT_TRUE(es.AddDocuments("applogs", docs).ok());
  TempDir dir;
  std::string config = "server: {listen: 127.0.0.1:0}\n";
  config.append("sources:\n  es:\n    type: elasticsearch\n    url: ")
      .append(es.url())
      .append(
          "\n"
          "    tags: {services: [cart]}\n"
          "    investigate:\n"
          "      logs: {table: applogs, time_column: ts, service_column: service, "
          "level_column: level, message_column: msg, latency_column: latency}\n"
          "projects:\n  shop: {sources: [es]}\n");
  testing::WriteFile(dir.File("tributary.yaml"), config);
  std::string error;
  auto server = ServerProcess::Start({"--config", dir.File("tributary.yaml")}, &error);
  ASSERT_TRUE(server) << error;
  HttpClient client(server->port());
  auto r = client.Post("/api/v1/investigate",
                       R"({"context":{"time_range":{"start":"2026-11-02T10:00:00Z",)"
                       R"("end":"2026-11-02T11:00:00Z"},"services":["cart"]},"step_seconds":60})");
  ASSERT_EQ(r.status, 200) << r.body;
  SCOPED_TRACE(r.body.substr(0, 6000));
  json::object answer = json::parse(r.body).as_object();
  EXPECT_TRUE(answer.at("failed_sources").as_array().empty());
  const json::array& timeline = answer.at("timeline").as_array();
  int shifts = 0;
  for (const auto& e : timeline) {
    if (e.at("kind").as_string() != "shift") continue;
    ++shifts;
    EXPECT_EQ(e.at("time").as_string(), "2026-11-02T10:40:00Z");
    EXPECT_EQ(e.at("service").as_string(), "cart");
    EXPECT_EQ(e.at("source").as_string(), "es");
  }
  EXPECT_EQ(shifts, 2);  // errors and latency_ms
  const json::object& evidence = answer.at("evidence").as_array().at(0).as_object();
  EXPECT_EQ(evidence.at("errors").at("total").as_int64(), 240);
  EXPECT_EQ(evidence.at("errors").at("baseline_total").as_int64(), 60);
  const json::array& top = evidence.at("errors").at("top_messages").as_array();
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].at("message").as_string(), "cart db deadlock");
  EXPECT_EQ(top[0].at("count").as_int64(), 160);
  // first_seen / last_seen are not checked: ES answers a date field's min/max as epoch
  // milliseconds, which the protocol server does not imitate (it answers a timestamp text).
  // The Query DSL sent is recorded as it was sent.
  const std::string query(evidence.at("queries").at(0).at("query").as_string());
  EXPECT_NE(query.find("\"date_histogram\""), std::string::npos) << query;
  EXPECT_NE(query.find("\"index\":\"applogs\""), std::string::npos) << query;
}

}  // namespace
}  // namespace tributary
