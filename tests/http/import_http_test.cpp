// The import pipeline through the real `tributary serve` binary (docs/import.md): upload,
// preview, confirm with edits, Server-Sent Events, the catalog across restarts, project
// isolation and roles, cancel, failures that leave nothing behind, size limits, and removal.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "config/config.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* kAlphaImportKey = "imptest-alpha-import-0123456789";
constexpr const char* kAlphaReadKey = "imptest-alpha-readonly-0123456789";
constexpr const char* kBetaKey = "imptest-beta-all-0123456789ab";
constexpr const char* kAdminKey = "imptest-root-admin-0123456789";

std::map<std::string, std::string> Bearer(const std::string& key,
                                          std::map<std::string, std::string> more = {}) {
  more["Authorization"] = "Bearer " + key;
  return more;
}

json::value Json(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON (" << r.status << "): " << r.body;
  return v;
}

std::string ErrorCodeOf(const HttpResponse& r) {
  json::value v = Json(r);
  if (!v.is_object() || !v.as_object().contains("error")) return "(no error)";
  return std::string(v.at("error").at("code").as_string());
}

//! Parsed SSE events: (event name, data object).
std::vector<std::pair<std::string, json::object>> ParseEvents(const std::string& text) {
  std::vector<std::pair<std::string, json::object>> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\n\n", pos);
    if (end == std::string::npos) break;
    std::string block = text.substr(pos, end - pos);
    pos = end + 2;
    std::string name;
    std::string data;
    size_t line_start = 0;
    while (line_start <= block.size()) {
      size_t nl = block.find('\n', line_start);
      std::string line =
          block.substr(line_start, nl == std::string::npos ? std::string::npos : nl - line_start);
      if (line.rfind("event: ", 0) == 0) name = line.substr(7);
      if (line.rfind("data: ", 0) == 0) data = line.substr(6);
      if (nl == std::string::npos) break;
      line_start = nl + 1;
    }
    if (name.empty()) continue;  // a comment (heartbeat)
    out.emplace_back(name, json::parse(data).as_object());
  }
  return out;
}

class ImportHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = dir_.File("base.csv");
    WriteFile(csv, "id,label\n1,x\n");
    config_path_ = dir_.File("tributary.yaml");
    WriteFile(
        config_path_,
        fmt::format("server: {{listen: 127.0.0.1:0}}\n"
                    "sources:\n"
                    "  alpha_db: {{type: duckdb, tables: {{base: {0}}}}}\n"
                    "  beta_db: {{type: duckdb, tables: {{base: {0}}}}}\n"
                    "projects:\n"
                    "  alpha: {{sources: [alpha_db]}}\n"
                    "  beta: {{sources: [beta_db]}}\n"
                    "default_project: alpha\n"
                    "imports: {{dir: {1}, max_upload_bytes: 30000000{6}}}\n"
                    "auth:\n"
                    "  keys:\n"
                    "    - {{name: alpha-import, sha256: {2}, projects: [alpha], roles: "
                    "[read, query, import]}}\n"
                    "    - {{name: alpha-read, sha256: {3}, projects: [alpha], roles: "
                    "[read, query]}}\n"
                    "    - {{name: beta-all, sha256: {4}, projects: [beta], roles: [read, "
                    "query, import]}}\n"
                    "    - {{name: root, sha256: {5}, projects: ['*'], roles: [read, query, "
                    "admin]}}\n",
                    csv, ImportsDir(), KeySha256Hex(kAlphaImportKey), KeySha256Hex(kAlphaReadKey),
                    KeySha256Hex(kBetaKey), KeySha256Hex(kAdminKey), imports_extra_));
    StartServer();
  }

  void StartServer() {
    std::string error;
    server_ = ServerProcess::Start({"--config", config_path_}, &error);
    ASSERT_NE(server_, nullptr) << error;
  }

  std::string ImportsDir() const { return dir_.File("imports"); }

  //! Entries under imports.dir named imp_* (import folders) and files under uploads/.
  std::vector<std::string> LeftoverFiles() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(ImportsDir(), ec)) {
      if (e.path().filename().string().rfind("imp_", 0) == 0) out.push_back(e.path().string());
    }
    for (const auto& e : fs::directory_iterator(fs::path(ImportsDir()) / "uploads", ec)) {
      out.push_back(e.path().string());
    }
    return out;
  }

  HttpResponse Upload(const std::string& query, const std::string& body,
                      const std::string& key = kAlphaImportKey) {
    HttpClient client(server_->port());
    return client.Post("/api/v1/imports?" + query, body,
                       Bearer(key, {{"Content-Type", "text/csv"}}));
  }

  //! Follows the events until the stream ends (it ends after `complete` or `error`).
  std::vector<std::pair<std::string, json::object>> Events(
      const std::string& id, const std::string& key = kAlphaImportKey) {
    HttpClient client(server_->port(), std::chrono::seconds(120));
    HttpResponse r = client.Get("/api/v1/imports/" + id + "/events", Bearer(key));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("content-type"), "text/event-stream");
    return ParseEvents(r.body);
  }

  json::value Query(const std::string& source, const std::string& sql,
                    const std::string& key = kAlphaImportKey) {
    HttpResponse r =
        PostQuery(server_->port(), json::serialize(json::object{{"source", source}, {"sql", sql}}),
                  Bearer(key));
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r);
  }

  //! Appended to the imports: mapping (e.g. ", min_free_bytes: 1").
  std::string imports_extra_;
  TempDir dir_;
  std::string config_path_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ImportHttp, CsvUploadPreviewConfirmEventsAndQuery) {
  std::string csv = "Order ID,Customer Name,Amount\n";
  for (int i = 1; i <= 500; ++i) {
    csv += fmt::format("{},\"Doe, J{}\",{}.5\n", i, i, i);
  }
  HttpResponse up = Upload("filename=Sales%202026.csv", csv);
  ASSERT_EQ(up.status, 201) << up.body;
  json::object imp = Json(up).as_object();
  const std::string id(imp.at("id").as_string());
  EXPECT_EQ(up.Header("location"), "/api/v1/imports/" + id);
  EXPECT_EQ(imp.at("status").as_string(), "awaiting_confirmation");
  EXPECT_EQ(imp.at("name").as_string(), "sales_2026");
  EXPECT_EQ(imp.at("format").as_string(), "csv");
  EXPECT_EQ(imp.at("csv").at("delimiter").as_string(), ",");
  const json::array& tables = imp.at("tables").as_array();
  ASSERT_EQ(tables.size(), 1u);
  const json::array& columns = tables[0].at("columns").as_array();
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns[0].at("sourceName").as_string(), "Order ID");
  EXPECT_EQ(columns[1].at("name").as_string(), "customer_name");
  EXPECT_EQ(columns[0].at("type").as_string(), "BIGINT");
  const json::array& rows = tables[0].at("preview").at("rows").as_array();
  ASSERT_EQ(rows.size(), 100u);
  EXPECT_EQ(rows[0].as_array()[1].as_string(), "Doe, J1");

  // The same answer from the preview route.
  HttpClient client(server_->port());
  HttpResponse preview = client.Get("/api/v1/imports/" + id + "/preview", Bearer(kAlphaImportKey));
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(Json(preview).at("tables").as_array()[0].at("preview").at("rows").as_array().size(),
            100u);

  // Rename one column and keep the amount as text.
  json::object confirm{
      {"name", "sales"},
      {"tables",
       json::array{json::object{{"name", "orders"},
                                {"columns", json::array{json::object{{"name", "order_id"}},
                                                        json::object{{"name", "customer"}},
                                                        json::object{{"type", "VARCHAR"}}}}}}}};
  HttpResponse conf = client.Post("/api/v1/imports/" + id + "/confirm", json::serialize(confirm),
                                  Bearer(kAlphaImportKey));
  ASSERT_EQ(conf.status, 202) << conf.body;

  auto events = Events(id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().first, "complete");
  EXPECT_EQ(events.back().second.at("source").as_string(), "sales");
  EXPECT_EQ(events.back().second.at("rows").as_int64(), 500);
  EXPECT_EQ(events.back().second.at("progress").as_double(), 100.0);
  bool saw_converting = false;
  for (const auto& [name, data] : events) {
    if (data.at("phase").as_string() == "converting") saw_converting = true;
  }
  EXPECT_TRUE(saw_converting);

  // A second watcher after the end gets the same history.
  auto replay = Events(id);
  ASSERT_EQ(replay.size(), events.size());
  EXPECT_EQ(replay.back().first, "complete");

  json::value result =
      Query("sales", "SELECT order_id, customer, amount FROM orders ORDER BY order_id LIMIT 2");
  const json::array& got = result.at("rows").as_array();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].as_array()[0].to_number<int64_t>(), 1);
  EXPECT_EQ(got[0].as_array()[1].as_string(), "Doe, J1");
  EXPECT_EQ(got[0].as_array()[2].as_string(), "1.5");

  HttpResponse sources = client.Get("/api/v1/sources", Bearer(kAlphaImportKey));
  ASSERT_EQ(sources.status, 200);
  bool listed = false;
  const json::value sources_json = Json(sources);
  for (const auto& s : sources_json.at("sources").as_array()) {
    if (s.at("id").as_string() != "sales") continue;
    listed = true;
    EXPECT_EQ(s.at("type").as_string(), "import");
    EXPECT_EQ(s.at("import").at("status").as_string(), "ready");
    EXPECT_EQ(s.at("import").at("rowCount").as_int64(), 500);
    EXPECT_EQ(s.at("import").at("format").as_string(), "csv");
    EXPECT_EQ(s.at("import").at("filename").as_string(), "Sales 2026.csv");
    EXPECT_GT(s.at("import").at("sizeBytes").as_int64(), 0);
  }
  EXPECT_TRUE(listed) << sources.body;

  HttpResponse tables_route = client.Get("/api/v1/sources/sales/tables", Bearer(kAlphaImportKey));
  EXPECT_EQ(tables_route.status, 200) << tables_route.body;
  EXPECT_NE(tables_route.body.find("orders"), std::string::npos);

  // The catalog survives a restart.
  server_.reset();
  StartServer();
  json::value again = Query("sales", "SELECT count(*) AS n FROM orders");
  EXPECT_EQ(again.at("rows").as_array()[0].as_array()[0].to_number<int64_t>(), 500);
}

TEST_F(ImportHttp, RolesAndProjectIsolation) {
  HttpResponse refused = Upload("filename=a.csv", "a,b\n1,2\n", kAlphaReadKey);
  EXPECT_EQ(refused.status, 403) << refused.body;
  HttpResponse other_project = Upload("filename=a.csv&project=beta", "a,b\n1,2\n");
  EXPECT_EQ(other_project.status, 403) << other_project.body;
  EXPECT_TRUE(LeftoverFiles().empty());

  HttpResponse up = Upload("filename=secret.csv&project=beta", "a,b\n1,2\n", kBetaKey);
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string id(Json(up).at("id").as_string());
  HttpClient client(server_->port());
  ASSERT_EQ(client.Post("/api/v1/imports/" + id + "/confirm", "{}", Bearer(kBetaKey)).status, 202);
  EXPECT_EQ(Events(id, kBetaKey).back().first, "complete");

  // Invisible to alpha: the job, its events, the source list, queries, deletion.
  EXPECT_EQ(client.Get("/api/v1/imports/" + id, Bearer(kAlphaImportKey)).status, 404);
  EXPECT_EQ(client.Get("/api/v1/imports/" + id + "/events", Bearer(kAlphaImportKey)).status, 404);
  HttpResponse list = client.Get("/api/v1/sources", Bearer(kAlphaImportKey));
  EXPECT_EQ(list.body.find("secret"), std::string::npos) << list.body;
  HttpResponse imports = client.Get("/api/v1/imports", Bearer(kAlphaImportKey));
  EXPECT_EQ(imports.body.find(id), std::string::npos) << imports.body;
  HttpResponse query = PostQuery(server_->port(), R"({"source":"secret","sql":"SELECT 1"})",
                                 Bearer(kAlphaImportKey));
  EXPECT_TRUE(query.status == 403 || query.status == 404) << query.body;
  EXPECT_EQ(client.Request("DELETE", "/api/v1/sources/secret", "", Bearer(kAlphaImportKey)).status,
            404);
  // Beta sees it, and an admin key may import and delete too.
  EXPECT_EQ(Query("secret", "SELECT a FROM secret", kBetaKey)
                .at("rows")
                .as_array()[0]
                .as_array()[0]
                .to_number<int64_t>(),
            1);
  HttpResponse del = client.Request("DELETE", "/api/v1/sources/secret", "", Bearer(kAdminKey));
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_TRUE(LeftoverFiles().empty());
}

TEST_F(ImportHttp, BadRowsFailWithLineOrAreSkippedWithSamples) {
  std::string csv = "id,amount\n";
  for (int i = 1; i <= 300; ++i) csv += fmt::format("{},{}\n", i, i);
  csv += "301,not-a-number\n302,7\n";
  HttpClient client(server_->port());

  // The sniffer sees the bad value and makes the column text; the client asks for BIGINT.
  const std::string as_bigint = R"("tables":[{"columns":[{},{"name":"amount","type":"BIGINT"}]}])";

  // Fail mode: the preview's rows already show the bad value, so the confirmation is refused
  // at once (not after a conversion) and the upload waits for a better one.
  HttpResponse up = Upload("filename=bad.csv&name=bad", csv);
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string id(Json(up).at("id").as_string());
  HttpResponse refused =
      client.Post("/api/v1/imports/" + id + "/confirm", "{\"onError\":\"fail\"," + as_bigint + "}",
                  Bearer(kAlphaImportKey));
  ASSERT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("onError: skip"), std::string::npos) << refused.body;
  HttpResponse waiting = client.Get("/api/v1/imports/" + id, Bearer(kAlphaImportKey));
  EXPECT_EQ(Json(waiting).at("status").as_string(), "awaiting_confirmation");
  HttpResponse sources = client.Get("/api/v1/sources", Bearer(kAlphaImportKey));
  EXPECT_EQ(sources.body.find("\"bad\""), std::string::npos) << sources.body;

  // Skip mode: the row is counted and sampled with its line, the rest imported.
  ASSERT_EQ(client
                .Post("/api/v1/imports/" + id + "/confirm",
                      "{\"onError\":\"skip\"," + as_bigint + "}", Bearer(kAlphaImportKey))
                .status,
            202);
  auto events = Events(id);
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(events.back().first, "complete");
  EXPECT_EQ(events.back().second.at("rows").as_int64(), 301);
  EXPECT_EQ(events.back().second.at("rejectedRows").as_int64(), 1);
  HttpResponse job = client.Get("/api/v1/imports/" + id, Bearer(kAlphaImportKey));
  const json::value job_json = Json(job);
  const json::array& rejects = job_json.at("rejects").as_array();
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].at("line").as_int64(), 302);
}

TEST_F(ImportHttp, SizeLimitNameClashAndConfigSources) {
  // Above imports.max_upload_bytes (30 MB): refused on the headers, before a byte is stored.
  HttpResponse up =
      RawExchange(server_->port(),
                  "POST /api/v1/imports?filename=big.csv HTTP/1.1\r\nHost: x\r\n"
                  "Authorization: Bearer " +
                      std::string(kAlphaImportKey) + "\r\nContent-Length: 31000000\r\n\r\n");
  EXPECT_EQ(up.status, 413) << up.body.substr(0, 300);
  EXPECT_NE(up.body.find("imports.max_upload_bytes"), std::string::npos) << up.body;
  EXPECT_TRUE(LeftoverFiles().empty());

  // A name of a configured source is refused, and so is deleting a configured source.
  up = Upload("filename=x.csv&name=alpha_db", "a\n1\n");
  EXPECT_EQ(up.status, 409) << up.body;
  EXPECT_EQ(ErrorCodeOf(up), "ALREADY_EXISTS");
  EXPECT_TRUE(LeftoverFiles().empty());
  HttpClient client(server_->port());
  HttpResponse del = client.Request("DELETE", "/api/v1/sources/alpha_db", "", Bearer(kAdminKey));
  EXPECT_EQ(del.status, 409) << del.body;
  EXPECT_EQ(ErrorCodeOf(del), "FAILED_PRECONDITION");

  // A file that is not what its name says.
  up = Upload("filename=data.csv", std::string("PK\x03\x04garbage-not-a-zip", 22));
  EXPECT_EQ(up.status, 400) << up.body;
  EXPECT_TRUE(LeftoverFiles().empty());

  // An empty file.
  up = Upload("filename=empty.csv", "");
  EXPECT_EQ(up.status, 400) << up.body;
  EXPECT_NE(Json(up).at("error").at("message").as_string().find("empty"), std::string::npos);
}

TEST_F(ImportHttp, CancelRunningImportLeavesNothing) {
  // About 25 MB: long enough to cancel while it converts.
  std::string csv = "id,text,value\n";
  csv.reserve(26'000'000);
  for (int i = 0; csv.size() < 25'000'000; ++i) {
    csv += fmt::format("{},row number {} with some text to make it longer,{}.25\n", i, i, i);
  }
  HttpResponse up = Upload("filename=long.csv", csv);
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string id(Json(up).at("id").as_string());
  HttpClient client(server_->port());

  // Two watchers see the same events.
  std::vector<std::pair<std::string, json::object>> first;
  std::vector<std::pair<std::string, json::object>> second;
  std::thread w1([&] { first = Events(id); });
  std::thread w2([&] { second = Events(id); });
  ASSERT_EQ(client.Post("/api/v1/imports/" + id + "/confirm", "{}", Bearer(kAlphaImportKey)).status,
            202);
  HttpResponse cancel =
      client.Request("DELETE", "/api/v1/imports/" + id, "", Bearer(kAlphaImportKey));
  w1.join();
  w2.join();
  if (cancel.status == 409) {
    GTEST_SKIP() << "the conversion finished before the cancel arrived: " << cancel.body;
  }
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.back().first, "error");
  EXPECT_EQ(first.back().second.at("error").at("code").as_string(), "CANCELLED");
  EXPECT_EQ(first.size(), second.size());
  EXPECT_EQ(json::serialize(first.back().second), json::serialize(second.back().second));
  EXPECT_TRUE(WaitUntil([&] { return LeftoverFiles().empty(); }, std::chrono::seconds(10)));
  HttpResponse job = client.Get("/api/v1/imports/" + id, Bearer(kAlphaImportKey));
  EXPECT_EQ(Json(job).at("status").as_string(), "cancelled");
}

TEST_F(ImportHttp, MultipartUploadAndJson) {
  const std::string boundary = "----tributary-test-boundary";
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nevents_json\r\n"
                     "--" +
                     boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; "
                     "filename=\"exports/events.ndjson\"\r\nContent-Type: "
                     "application/x-ndjson\r\n\r\n" +
                     "{\"user\":\"u1\",\"n\":3}\n{\"user\":\"u2\",\"n\":4}\n" + "\r\n--" +
                     boundary + "--\r\n";
  HttpClient client(server_->port());
  HttpResponse up = client.Post(
      "/api/v1/imports", body,
      Bearer(kAlphaImportKey, {{"Content-Type", "multipart/form-data; boundary=" + boundary}}));
  ASSERT_EQ(up.status, 201) << up.body;
  json::object imp = Json(up).as_object();
  EXPECT_EQ(imp.at("name").as_string(), "events_json");
  EXPECT_EQ(imp.at("format").as_string(), "ndjson");
  const std::string id(imp.at("id").as_string());
  ASSERT_EQ(client.Post("/api/v1/imports/" + id + "/confirm", "{}", Bearer(kAlphaImportKey)).status,
            202);
  ASSERT_EQ(Events(id).back().first, "complete");
  json::value sum = Query("events_json", "SELECT sum(n) AS s FROM events_json");
  EXPECT_EQ(sum.at("rows").as_array()[0].as_array()[0].to_number<int64_t>(), 7);
}

TEST_F(ImportHttp, ImportFittingAPackServesItsDataset) {
  const std::string csv =
      "event_timestamp,event_name,user_pseudo_id,user_id,ga_session_id,page_location,"
      "purchase_revenue,currency\n"
      "2026-11-20 10:00:00,page_view,u1,,11,https://a.8020rei.com/home,,\n"
      "2026-11-20 10:01:00,page_view,u2,,12,https://a.8020rei.com/buybox,,\n"
      "2026-11-21 09:00:00,purchase,u1,,13,https://a.8020rei.com/home,12.5,USD\n";
  HttpResponse up = Upload("filename=events.csv&name=web_upload", csv);
  ASSERT_EQ(up.status, 201) << up.body;
  json::object imp = Json(up).as_object();
  const json::array& fits = imp.at("fitsDatasets").as_array();
  ASSERT_EQ(fits.size(), 1u) << up.body;
  EXPECT_EQ(fits[0].as_string(), "web_events");
  HttpClient client(server_->port());
  const std::string id(imp.at("id").as_string());
  // A dataset the columns do not fit is refused.
  HttpResponse wrong = client.Post("/api/v1/imports/" + id + "/confirm",
                                   R"({"datasets":["llm_logs"]})", Bearer(kAlphaImportKey));
  EXPECT_EQ(wrong.status, 400) << wrong.body;
  ASSERT_EQ(client
                .Post("/api/v1/imports/" + id + "/confirm", R"({"datasets":["web_events"]})",
                      Bearer(kAlphaImportKey))
                .status,
            202);
  ASSERT_EQ(Events(id).back().first, "complete");
  HttpResponse summary =
      client.Get("/api/v1/projects/alpha/metrics/web/summary?days=7&asOf=2026-11-22T00:00:00Z",
                 Bearer(kAlphaImportKey));
  ASSERT_EQ(summary.status, 200) << summary.body;
  json::value data = Json(summary).at("data");
  EXPECT_EQ(data.at("total_events").to_number<int64_t>(), 3) << summary.body;
  EXPECT_EQ(data.at("total_users").to_number<int64_t>(), 2) << summary.body;
}

//! A file system "fuller" than imports.min_free_bytes: no machine has an exabyte free.
class ImportHttpDiskFull : public ImportHttp {
 protected:
  void SetUp() override {
    imports_extra_ = ", min_free_bytes: 1000000000000000000";
    ImportHttp::SetUp();
  }
};

TEST_F(ImportHttpDiskFull, UploadIsRefusedWith507AndNothingStored) {
  HttpResponse up = Upload("filename=a.csv", "a,b\n1,2\n");
  EXPECT_EQ(up.status, 507) << up.body;
  EXPECT_EQ(ErrorCodeOf(up), "INSUFFICIENT_STORAGE");
  EXPECT_NE(up.body.find("min_free_bytes"), std::string::npos) << up.body;
  EXPECT_TRUE(LeftoverFiles().empty());
}

}  // namespace
}  // namespace tributary::testing
