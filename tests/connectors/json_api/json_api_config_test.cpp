// json_api config mistakes: each must fail at load time (check-config) with CONFIG_ERROR and
// exactly this message, file:line:col included; plus the pure helpers (JSON Pointer, URL
// templates, table references in SQL, Link headers) and the redacted rendering.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config.h"
#include "config/config_test_util.h"
#include "connectors/json_api/json_api_loader.h"
#include "connectors/json_api/json_api_spec.h"
#include "connectors/json_api/sql_tables.h"

namespace tributary {
namespace {

using testing::LoadError;

// Lines 1-9: a valid source; `table_extra` goes under the customers table (line 10 on).
std::string Yaml(const std::string& table_extra, const std::string& source_extra = "") {
  return "sources:\n"
         "  crm:\n"
         "    type: json_api\n"
         "    base_url: https://crm.example.com\n" +
         source_extra +
         "    tables:\n"
         "      customers:\n"
         "        path: /v1/customers\n"
         "        records: /data\n" +
         table_extra;
}

const std::string kColumns =
    "        columns:\n"
    "          id: {pointer: /id, type: int64}\n";

TEST(JsonApiConfig, AValidConfigLoads) {
  EXPECT_EQ(
      LoadError(Yaml(kColumns + "        pagination: {type: cursor, pointer: /next, param: c}\n",
                     "    auth: {type: bearer, token: \"${TOKEN}\"}\n"),
                {{"TOKEN", "t"}}),
      "(loaded)");
}

TEST(JsonApiConfig, UnknownKeysSuggestTheClosest) {
  EXPECT_EQ(LoadError(Yaml(kColumns + "        pagniation: {type: next_link}\n")),
            "cfg.yaml:11:9: sources.crm.tables.customers.pagniation: unknown key; did you mean "
            "'pagination'? allowed keys: path, defaults, records, columns, pagination");
  EXPECT_EQ(LoadError(Yaml("        columns:\n"
                           "          id: {pointer: /id, typ: int64}\n")),
            "cfg.yaml:10:30: sources.crm.tables.customers.columns.id.typ: unknown key; did you "
            "mean 'type'? allowed keys: pointer, type");
  EXPECT_EQ(LoadError(Yaml(kColumns + "        pagination: {type: page, param: p, pointer: /x}\n")),
            "cfg.yaml:11:44: sources.crm.tables.customers.pagination.pointer: unknown key; "
            "allowed keys: type, param, start, size_param, size");
}

TEST(JsonApiConfig, MissingRequiredKeys) {
  EXPECT_EQ(LoadError(Yaml("")),
            "cfg.yaml:6:7: sources.crm.tables.customers: missing required key 'columns'; add "
            "columns: under it");
  EXPECT_EQ(LoadError(Yaml("        columns:\n          id: {type: int64}\n")),
            "cfg.yaml:10:11: sources.crm.tables.customers.columns.id: missing required key "
            "'pointer'; add pointer: under it");
  EXPECT_EQ(LoadError("sources:\n  crm:\n    type: json_api\n    base_url: https://x\n"),
            "cfg.yaml:2:3: sources.crm: missing required key 'tables'; add tables: <mapping> "
            "(table name -> {path, defaults, records, columns, pagination})");
}

TEST(JsonApiConfig, WrongTypesAndBadValues) {
  EXPECT_EQ(LoadError(Yaml("        columns:\n          id: {pointer: /id, type: integer}\n")),
            "cfg.yaml:10:36: sources.crm.tables.customers.columns.id.type: unknown column type "
            "'integer'; use one of string, int64, double, bool, date, timestamp, decimal(p,s), "
            "json, bytes (decimal: precision 1..38, scale 0..precision, e.g. decimal(12,2))");
  EXPECT_EQ(LoadError(Yaml("        columns:\n          id: {pointer: id, type: int64}\n")),
            "cfg.yaml:10:25: sources.crm.tables.customers.columns.id.pointer: 'id' is not a JSON "
            "Pointer (RFC 6901); write it as /field/sub with ~1 for '/' and ~0 for '~' inside a "
            "name, e.g. /data");
  EXPECT_EQ(LoadError(Yaml("        columns:\n          id: {pointer: /a~2b, type: int64}\n")),
            "cfg.yaml:10:25: sources.crm.tables.customers.columns.id.pointer: '/a~2b' is not a "
            "JSON Pointer (RFC 6901); write it as /field/sub with ~1 for '/' and ~0 for '~' "
            "inside a name, e.g. /data");
  EXPECT_EQ(LoadError(Yaml(kColumns + "        pagination: {type: page, param: p, size: lots}\n")),
            "cfg.yaml:11:50: sources.crm.tables.customers.pagination.size: expected an integer, "
            "got 'lots'; write a whole number without units");
  EXPECT_EQ(LoadError(Yaml(kColumns + "        pagination: {type: scroll}\n")),
            "cfg.yaml:11:28: sources.crm.tables.customers.pagination.type: unknown pagination "
            "type 'scroll'; use next_link (URL in the body), link_header (Link: rel=\"next\"), "
            "cursor, page or none");
  EXPECT_EQ(LoadError(Yaml(kColumns, "    max_pages: 0\n")),
            "cfg.yaml:5:16: sources.crm.max_pages: 0 is too small; use a value from 1 to 1000000");
  EXPECT_EQ(LoadError(Yaml("        columns:\n"
                           "          meta: {pointer: /meta, type: json}\n"
                           "          tier: {pointer: /meta/tier, type: string}\n")),
            "cfg.yaml:11:27: sources.crm.tables.customers.columns.tier.pointer: pointer "
            "/meta/tier overlaps column meta's pointer /meta; give each column its own field "
            "(read nested values of a json column in SQL, e.g. meta->>'id')");
}

TEST(JsonApiConfig, TemplateMistakes) {
  const std::string base =
      "sources:\n"
      "  crm:\n"
      "    type: json_api\n"
      "    base_url: https://crm.example.com\n"
      "    health_path: /ping\n"
      "    tables:\n"
      "      customers:\n"
      "        records: /data\n" +
      kColumns;
  EXPECT_EQ(LoadError(base + "        path: /v1/customers?since={}\n"),
            "cfg.yaml:11:15: sources.crm.tables.customers.path: placeholder {} at character 21 "
            "does not name a value; use letters, digits and '_', e.g. {since}");
  EXPECT_EQ(LoadError(base + "        path: /v1/customers?since={since\n"),
            "cfg.yaml:11:15: sources.crm.tables.customers.path: the '{' at character 21 is not "
            "closed; write placeholders as {name}");
  EXPECT_EQ(LoadError(base + "        path: /v1/customers?since={since}\n"
                             "        defaults: {status: active}\n"),
            "cfg.yaml:12:20: sources.crm.tables.customers.defaults.status: the path has no "
            "placeholder {status}; the path uses {since}: remove this default or add {status} "
            "to the path");
  EXPECT_EQ(LoadError(base + "        path: v1/customers\n"),
            "cfg.yaml:11:15: sources.crm.tables.customers.path: the path must start with '/', "
            "relative to base_url, e.g. /v1/customers?since={since}");
}

TEST(JsonApiConfig, HealthNeedsTheFirstTablesValues) {
  EXPECT_EQ(LoadError("sources:\n"
                      "  crm:\n"
                      "    type: json_api\n"
                      "    base_url: https://crm.example.com\n"
                      "    tables:\n"
                      "      customers:\n"
                      "        path: /v1/customers?since={since}\n"
                      "        records: /data\n" +
                      kColumns),
            "cfg.yaml:6:7: sources.crm.tables.customers: the health check fetches this first "
            "table's first page, but {since} has no default; add defaults: {since: ...} or set "
            "the source's health_path");
}

TEST(JsonApiConfig, AuthMistakesNeverEchoSecrets) {
  EXPECT_EQ(LoadError(Yaml(kColumns, "    auth: {type: bearer, tokn: abc}\n")),
            "cfg.yaml:5:26: sources.crm.auth.tokn: unknown key; did you mean 'token'? allowed "
            "keys: type, token");
  EXPECT_EQ(LoadError(Yaml(kColumns, "    auth: {type: oauth, token: abc}\n")),
            "cfg.yaml:5:18: sources.crm.auth.type: unknown auth type; use bearer (with token) or "
            "basic (with user and password)");
  EXPECT_EQ(LoadError(Yaml(kColumns, "    auth: {type: bearer, token: [s3cret-list]}\n")),
            "cfg.yaml:5:33: sources.crm.auth.token: expected a string, got a list; write a "
            "single value");
  EXPECT_EQ(LoadError(Yaml(kColumns, "    auth: {type: bearer, token: \"${MISSING_TOKEN}\"}\n")),
            "cfg.yaml:5:33: sources.crm.auth.token: environment variable 'MISSING_TOKEN' is not "
            "set; export it or write ${MISSING_TOKEN:-default}");
}

TEST(JsonApiConfig, RenderedConfigRedactsSecrets) {
  Result<Config> config = LoadConfigText(
      Yaml("        columns:\n          id: {pointer: /id, type: int64}\n"
           "        defaults: {}\n",
           "    auth: {type: bearer, token: \"${TOKEN}\"}\n"
           "    headers: {X-Api-Key: \"${KEY}\"}\n"),
      "cfg.yaml", "/tmp", testing::FakeEnv({{"TOKEN", "tok-abc-123"}, {"KEY", "key-xyz-789"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const std::string rendered = RenderConfig(*config);
  EXPECT_EQ(rendered.find("tok-abc-123"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("key-xyz-789"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("/v1/customers"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("pointer: /id"), std::string::npos) << rendered;
}

TEST(JsonApiHelpers, JsonPointers) {
  using json_api::ParseJsonPointer;
  EXPECT_EQ(ParseJsonPointer(""), std::vector<std::string>{});
  EXPECT_EQ(ParseJsonPointer("/a/0/b"), (std::vector<std::string>{"a", "0", "b"}));
  EXPECT_EQ(ParseJsonPointer("/a~1b/c~0d"), (std::vector<std::string>{"a/b", "c~d"}));
  EXPECT_EQ(ParseJsonPointer("/"), std::vector<std::string>{""});
  EXPECT_FALSE(ParseJsonPointer("a/b").has_value());
  EXPECT_FALSE(ParseJsonPointer("/a~").has_value());
}

TEST(JsonApiHelpers, UrlTemplatesEncodeValues) {
  auto url = json_api::ParseUrlTemplate("/v1/{kind}/items?since={since}&q={since}");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->variables, (std::vector<std::string>{"kind", "since"}));
  EXPECT_EQ(json_api::ExpandUrlTemplate(*url, {{"kind", "a/b"}, {"since", "2026-01-01 10:00&x"}}),
            "/v1/a%2Fb/items?since=2026-01-01%2010%3A00%26x&q=2026-01-01%2010%3A00%26x");
  EXPECT_FALSE(json_api::ParseUrlTemplate("/x}").ok());
}

TEST(JsonApiHelpers, ReferencedTablesIgnoreStringsAndComments) {
  const std::vector<std::string> tables = {"customers", "payments", "orders"};
  using json_api::ReferencedTables;
  EXPECT_EQ(ReferencedTables("SELECT * FROM Customers c JOIN \"payments\" p ON 1=1", tables),
            (std::vector<std::string>{"customers", "payments"}));
  EXPECT_EQ(ReferencedTables("SELECT 'orders', $$payments$$ -- customers\n /* orders */", tables),
            std::vector<std::string>{});
  EXPECT_EQ(ReferencedTables("SELECT $1 FROM orders WHERE x = 'it''s customers'", tables),
            std::vector<std::string>{"orders"});
}

TEST(JsonApiHelpers, LinkHeaderNext) {
  EXPECT_EQ(json_api::NextFromLinkHeader(
                "<https://a/x?page=1>; rel=\"prev\", <https://a/x?page=3>; rel=\"next\""),
            "https://a/x?page=3");
  EXPECT_EQ(json_api::NextFromLinkHeader("<https://a/x?page=1>; rel=\"last\""), "");
  EXPECT_EQ(json_api::NextFromLinkHeader(""), "");
}

}  // namespace
}  // namespace tributary

namespace tributary {
namespace {

// The example of docs/connectors.md loads as it is written.
TEST(JsonApiConfig, DocumentedExampleLoads) {
  std::ifstream in(std::string(TRIBUTARY_SOURCE_DIR) + "/docs/connectors.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string docs = text.str();
  const size_t section = docs.find("## json_api");
  ASSERT_NE(section, std::string::npos);
  const size_t start = docs.find("```yaml\n", section);
  ASSERT_NE(start, std::string::npos);
  const size_t end = docs.find("```", start + 8);
  const std::string yaml = docs.substr(start + 8, end - start - 8);
  EXPECT_EQ(testing::LoadError(yaml, {{"CRM_TOKEN", "t"}, {"PAYMENTS_KEY", "k"}}), "(loaded)");
}

}  // namespace
}  // namespace tributary
