// Valid configs: what they load into, how they render, and their fingerprints.
#include "config/config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "config/config_render.h"
#include "config/config_test_util.h"
#include "config/source_options.h"
#include "config/yaml_reader.h"

namespace tributary {
namespace {

using testing::FakeEnv;

Config MustLoad(const std::string& text, std::map<std::string, std::string> vars = {}) {
  Result<Config> config = LoadConfigText(text, "cfg.yaml", "/etc/trib", FakeEnv(std::move(vars)));
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : Config{};
}

// Line numbers below refer to this text.
constexpr const char* kFullConfig = R"(# Tributary
server:
  listen: "[::1]:9090"
  max_body_bytes: 2048
  io_threads: 0
  default_row_limit: 50
  max_row_limit: 100
sources:
  warehouse:
    type: duckdb
    path: data/warehouse.duckdb
    tables:
      events: events/*.parquet
    max_connections: 4
    memory_limit: 2GB
  scratch:
    type: duckdb
projects:
  web:
    sources: [warehouse, scratch]
    datasets:
      web_events:
        source: warehouse
        table: events
        columns:
          ts: event_time
          path: url_path
        features:
          - {match: '^/docs', name: docs}
          - {match: '^/api/v[0-9]+/', name: api}
  ai:
    sources: [warehouse]
    datasets:
      llm_logs:
        source: warehouse
        client_pattern: '^(\w+)/'
default_project: web
)";

TEST(ConfigLoad, FullConfig) {
  Config config = MustLoad(kFullConfig);
  EXPECT_EQ(config.path, "cfg.yaml");
  EXPECT_EQ(config.base_dir, "/etc/trib");
  EXPECT_EQ(config.server.listen, "[::1]:9090");
  EXPECT_EQ(config.server.max_body_bytes, 2048);
  EXPECT_EQ(config.server.io_threads, 0);
  EXPECT_EQ(config.server.default_row_limit, 50);
  EXPECT_EQ(config.server.max_row_limit, 100);
  // Not written: the ServerConfig defaults.
  EXPECT_EQ(config.server.read_timeout_ms, 30000);
  EXPECT_EQ(config.server.max_result_bytes, 64ll << 20);

  ASSERT_EQ(config.sources.size(), 2u);
  const SourceConfig& warehouse = config.sources[0];
  EXPECT_EQ(warehouse.id, "warehouse");
  EXPECT_EQ(warehouse.type, "duckdb");
  EXPECT_EQ(warehouse.location.ToString(), "cfg.yaml:9:3");
  EXPECT_EQ(warehouse.options.GetString("path"), "data/warehouse.duckdb");
  EXPECT_EQ(warehouse.options.LocationOf("path").ToString(), "cfg.yaml:11:11");
  EXPECT_EQ(warehouse.options.GetInt("max_connections", 0), 4);
  EXPECT_EQ(warehouse.options.GetString("memory_limit"), "2GB");
  EXPECT_EQ(warehouse.options.GetStringMap("tables"),
            (std::map<std::string, std::string>{{"events", "events/*.parquet"}}));
  EXPECT_FALSE(warehouse.options.Has("threads"));
  EXPECT_EQ(warehouse.options.entries().size(), 4u);
  EXPECT_FALSE(warehouse.options.entries().at("path").secret);
  EXPECT_EQ(config.sources[1].id, "scratch");
  EXPECT_TRUE(config.sources[1].options.entries().empty());

  ASSERT_EQ(config.projects.size(), 2u);
  const ProjectConfig& web = config.projects[0];
  EXPECT_EQ(web.id, "web");
  EXPECT_EQ(web.location.ToString(), "cfg.yaml:19:3");
  EXPECT_EQ(web.sources, (std::vector<std::string>{"warehouse", "scratch"}));
  ASSERT_EQ(web.datasets.size(), 1u);
  const DatasetBinding& events = web.datasets.at("web_events")[0];
  EXPECT_EQ(events.name, "web_events");
  EXPECT_EQ(events.source, "warehouse");
  EXPECT_EQ(events.table, "events");
  EXPECT_EQ(events.columns,
            (std::map<std::string, std::string>{{"ts", "event_time"}, {"path", "url_path"}}));
  EXPECT_FALSE(events.client_pattern.has_value());
  ASSERT_TRUE(events.feature_rules.has_value());
  ASSERT_EQ(events.feature_rules->size(), 2u);
  EXPECT_EQ((*events.feature_rules)[0].match, "^/docs");
  EXPECT_EQ((*events.feature_rules)[0].name, "docs");
  EXPECT_EQ((*events.feature_rules)[1].match, "^/api/v[0-9]+/");
  EXPECT_EQ((*events.feature_rules)[1].name, "api");
  EXPECT_EQ(events.location.ToString(), "cfg.yaml:22:7");

  const DatasetBinding& logs = config.projects[1].datasets.at("llm_logs")[0];
  EXPECT_EQ(logs.table, "llm_logs");  // defaults to the dataset name
  EXPECT_EQ(logs.client_pattern, std::optional<std::string>("^(\\w+)/"));
  EXPECT_FALSE(logs.feature_rules.has_value());
  EXPECT_TRUE(logs.columns.empty());

  EXPECT_EQ(config.default_project, "web");
  EXPECT_NE(config.FindSource("scratch"), nullptr);
  EXPECT_EQ(config.FindSource("nope"), nullptr);
  EXPECT_EQ(config.FindProject("ai"), &config.projects[1]);
  EXPECT_EQ(config.fingerprint.size(), 64u);
  EXPECT_EQ(config.fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(ConfigLoad, JsonIsAccepted) {
  Config config = MustLoad(R"({
  "server": {"listen": "0.0.0.0:8081", "worker_threads": 3},
  "sources": {"demo": {"type": "duckdb", "path": "demo.duckdb", "max_connections": 2,
                       "tables": {"t": "t.csv"}}},
  "projects": {"p": {"sources": ["demo"],
                     "datasets": {"llm_logs": {"source": "demo", "columns": {"ts": "time"}}}}}
})");
  EXPECT_EQ(config.server.listen, "0.0.0.0:8081");
  EXPECT_EQ(config.server.worker_threads, 3);
  ASSERT_EQ(config.sources.size(), 1u);
  EXPECT_EQ(config.sources[0].options.GetInt("max_connections", 0), 2);
  EXPECT_EQ(config.sources[0].options.GetStringMap("tables").at("t"), "t.csv");
  EXPECT_EQ(config.projects.at(0).datasets.at("llm_logs")[0].columns.at("ts"), "time");
  // The only project becomes the default.
  EXPECT_EQ(config.default_project, "p");
}

TEST(ConfigLoad, EnvironmentSubstitution) {
  Config config = MustLoad(
      R"(server:
  listen: ${HOST:-127.0.0.1}:${PORT}
  max_body_bytes: ${BODY}
  io_threads: "${THREADS:-2}"
sources:
  demo:
    type: duckdb
    path: ${DATA_DIR}/demo.duckdb
    memory_limit: ${MEM:-1GB}
    tables:
      costs: $$HOME/costs$.csv
    max_connections: ${POOL}
projects:
  p:
    sources: [demo]
    datasets:
      web_events:
        source: demo
        client_pattern: ^(${CLIENT:-web})/
)",
      {{"PORT", "9000"}, {"BODY", "4096"}, {"DATA_DIR", "/data"}, {"MEM", ""}, {"POOL", "+8"}});
  EXPECT_EQ(config.server.listen, "127.0.0.1:9000");
  EXPECT_EQ(config.server.max_body_bytes, 4096);
  EXPECT_EQ(config.server.io_threads, 2);
  const Options& options = config.sources.at(0).options;
  EXPECT_EQ(options.GetString("path"), "/data/demo.duckdb");
  EXPECT_EQ(options.GetString("memory_limit"), "1GB");  // empty counts as unset with :-
  EXPECT_EQ(options.GetStringMap("tables").at("costs"), "$HOME/costs$.csv");
  EXPECT_EQ(options.GetInt("max_connections", 0), 8);
  EXPECT_EQ(options.LocationOf("path").ToString(), "cfg.yaml:8:11");
  EXPECT_EQ(config.projects.at(0).datasets.at("web_events")[0].client_pattern,
            std::optional<std::string>("^(web)/"));
}

TEST(ConfigLoad, KeysAreNotSubstituted) {
  EXPECT_EQ(
      testing::LoadError("sources:\n  demo:\n    type: duckdb\n    ${OPT}: x\n", {{"OPT", "path"}}),
      "cfg.yaml:4:5: sources.demo.${OPT}: unknown option; duckdb options: type, path, "
      "tables, max_connections, threads, memory_limit, limits, tags, investigate");
}

TEST(ConfigLoad, DefaultProject) {
  const std::string sources = "sources:\n  demo: {type: duckdb}\n";
  EXPECT_EQ(MustLoad(sources).default_project, "");
  EXPECT_TRUE(MustLoad(sources).projects.empty());
  EXPECT_EQ(MustLoad(sources + "projects:\n  only: {sources: [demo]}\n").default_project, "only");
  // Several projects and no default: the API then needs an explicit project.
  EXPECT_EQ(MustLoad(sources + "projects:\n  a: {sources: [demo]}\n  b: {sources: [demo]}\n")
                .default_project,
            "");
  EXPECT_EQ(MustLoad(sources + "projects:\n  a: {sources: [demo]}\n  b: {sources: [demo]}\n"
                               "default_project: b\n")
                .default_project,
            "b");
}

TEST(ConfigLoad, IPv6AndPortZero) {
  const std::string sources = "sources:\n  demo: {type: duckdb}\n";
  EXPECT_EQ(MustLoad("server: {listen: '[::]:0'}\n" + sources).server.listen, "[::]:0");
  EXPECT_EQ(MustLoad("server: {listen: 'db-1.local:65535'}\n" + sources).server.listen,
            "db-1.local:65535");
}

TEST(ConfigLoad, FromFile) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "tributary_config_load";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "tributary.yaml").string();
  {
    std::ofstream out(path);
    out << "sources:\n  demo:\n    type: duckdb\n    path: ${NAME}.duckdb\n";
  }
  Result<Config> config = LoadConfigFile(path, FakeEnv({{"NAME", "sales"}}));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->path, path);
  EXPECT_EQ(config->base_dir, std::filesystem::absolute(dir).lexically_normal().string());
  EXPECT_EQ(config->sources.at(0).options.GetString("path"), "sales.duckdb");
  EXPECT_EQ(config->sources.at(0).options.LocationOf("path").ToString(), path + ":4:11");
}

OptionSpec Spec(std::string name, OptionType type, bool secret = false) {
  OptionSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.secret = secret;
  return spec;
}

// A connector schema with a secret and every option type, which no built-in connector has.
ConnectorFactory FakeFactory() {
  ConnectorFactory factory;
  factory.type = "fake";
  OptionSpec host = Spec("host", OptionType::kString);
  host.required = true;
  host.description = "server host";
  OptionSpec pin = Spec("pin", OptionType::kInt, /*secret=*/true);
  pin.min = 0;
  pin.max = 9999;
  factory.schema = {host,
                    Spec("password", OptionType::kString, /*secret=*/true),
                    pin,
                    Spec("tls", OptionType::kBool),
                    Spec("ratio", OptionType::kDouble),
                    Spec("schemas", OptionType::kStringList)};
  return factory;
}

// Parses `text` (one source mapping, under "sources: {x: ...}") with FakeFactory's schema.
Result<Options> ParseFakeOptions(const std::string& text,
                                 std::map<std::string, std::string> vars = {}) {
  using config_internal::Field;
  config_internal::YamlReader reader("fake.yaml", FakeEnv(std::move(vars)));
  YAML::Node root = YAML::Load(text);
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> top, reader.Mapping(reader.Root(root)));
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> sources, reader.Mapping(top.at(0).value));
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader.Mapping(sources.at(0).value));
  return config_internal::ParseSourceOptions(reader, fields, FakeFactory(), sources.at(0));
}

TEST(ConfigSourceOptions, AllTypesAndSecrets) {
  Result<Options> options = ParseFakeOptions(
      "sources:\n"
      "  x:\n"
      "    type: fake\n"
      "    host: db\n"
      "    password: ${PW}\n"
      "    pin: 1234\n"
      "    tls: true\n"
      "    ratio: 0.25\n"
      "    schemas: [a, b]\n",
      {{"PW", "hunter2"}});
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->GetString("host"), "db");
  EXPECT_EQ(options->GetString("password"), "hunter2");
  EXPECT_TRUE(options->entries().at("password").secret);
  EXPECT_TRUE(options->entries().at("pin").secret);
  EXPECT_FALSE(options->entries().at("host").secret);
  EXPECT_EQ(options->LocationOf("password").ToString(), "fake.yaml:5:15");
  EXPECT_EQ(options->GetInt("pin", 0), 1234);
  EXPECT_TRUE(options->GetBool("tls", false));
  EXPECT_DOUBLE_EQ(options->GetDouble("ratio", 0), 0.25);
  EXPECT_EQ(options->GetStringList("schemas"), (std::vector<std::string>{"a", "b"}));
}

TEST(ConfigSourceOptions, Errors) {
  const std::string head = "sources:\n  x:\n    type: fake\n";
  EXPECT_EQ(ParseFakeOptions(head + "    port: 5\n").status().message(),
            "fake.yaml:4:5: sources.x.port: unknown option; fake options: type, host, password, "
            "pin, tls, ratio, schemas, limits, tags, investigate");
  EXPECT_EQ(ParseFakeOptions(head + "    password: x\n").status().message(),
            "fake.yaml:2:3: sources.x: missing required key 'host'; add host: <string> (server "
            "host)");
  EXPECT_EQ(ParseFakeOptions(head + "    host: h\n    tls: yes\n").status().message(),
            "fake.yaml:5:10: sources.x.tls: expected a boolean, got 'yes'; write true or false");
  EXPECT_EQ(ParseFakeOptions(head + "    host: h\n    ratio: 1/2\n").status().message(),
            "fake.yaml:5:12: sources.x.ratio: expected a number, got '1/2'; write a finite "
            "number such as 0.5");
  EXPECT_EQ(ParseFakeOptions(head + "    host: h\n    schemas: a\n").status().message(),
            "fake.yaml:5:14: sources.x.schemas: expected a list of strings, got 'a'; write a "
            "list such as [a, b]");
  // A secret's value is never echoed, even when it is the wrong type or out of range.
  EXPECT_EQ(ParseFakeOptions(head + "    host: h\n    pin: ${PIN}\n", {{"PIN", "hunter2"}})
                .status()
                .message(),
            "fake.yaml:5:10: sources.x.pin: expected an integer, got a value that is not shown "
            "because the option is secret; write a whole number without units");
  EXPECT_EQ(ParseFakeOptions(head + "    host: h\n    pin: 123456\n").status().message(),
            "fake.yaml:5:10: sources.x.pin: the value is too large; use a value from 0 to 9999");
}

TEST(ConfigLoad, RedisSectionWithSecretPassword) {
  Result<Config> config = LoadConfigText(
      "sources:\n  demo: {type: duckdb, path: demo.duckdb}\n"
      "redis:\n  host: cache.internal\n  port: 6380\n  password: ${REDIS_PW}\n"
      "  database: 2\n  key_prefix: 'prod:'\n  pool_size: 4\n",
      "cfg.yaml", "/tmp", [](const std::string& name) -> std::optional<std::string> {
        if (name == "REDIS_PW") return "s3cret-pw";
        return std::nullopt;
      });
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(config->redis.has_value());
  EXPECT_EQ(config->redis->host, "cache.internal");
  EXPECT_EQ(config->redis->port, 6380);
  EXPECT_EQ(config->redis->password, "s3cret-pw");
  EXPECT_EQ(config->redis->database, 2);
  EXPECT_EQ(config->redis->key_prefix, "prod:");
  EXPECT_EQ(config->redis->pool_size, 4);
  EXPECT_EQ(config->redis->command_timeout_ms, 250);
  const std::string rendered = RenderConfig(*config);
  EXPECT_EQ(rendered.find("s3cret-pw"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("password: \"***\""), std::string::npos) << rendered;
  // The password is part of the fingerprint: a new password is a new config.
  Result<Config> other = LoadConfigText(
      "sources:\n  demo: {type: duckdb, path: demo.duckdb}\n"
      "redis:\n  host: cache.internal\n  port: 6380\n  password: other\n"
      "  database: 2\n  key_prefix: 'prod:'\n  pool_size: 4\n",
      "cfg.yaml", "/tmp");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->fingerprint, config->fingerprint);
}

TEST(ConfigRender, BuiltinConfig) {
  Config config = BuiltinConfig("/var/lib/tributary");
  EXPECT_EQ(config.path, "<built-in>");
  EXPECT_EQ(config.base_dir, std::filesystem::current_path().string());
  ASSERT_EQ(config.sources.size(), 1u);
  EXPECT_EQ(config.sources[0].id, "demo");
  EXPECT_EQ(config.sources[0].type, "duckdb");
  EXPECT_EQ(config.sources[0].options.GetString("path"), "/var/lib/tributary/demo.duckdb");
  ASSERT_EQ(config.projects.size(), 1u);
  EXPECT_EQ(config.projects[0].sources, std::vector<std::string>{"demo"});
  EXPECT_EQ(config.projects[0].datasets.at("llm_logs")[0].table, "llm_logs");
  EXPECT_EQ(config.projects[0].datasets.at("web_events")[0].source, "demo");
  EXPECT_EQ(config.default_project, "demo");
  EXPECT_EQ(config.fingerprint, config_internal::ComputeFingerprint(config));
  EXPECT_EQ(RenderConfig(config),
            "# Tributary config resolved from <built-in>; secrets are shown as ***\n"
            "\n"
            "server:\n"
            "  listen: 127.0.0.1:8080\n"
            "  max_body_bytes: 1048576\n"
            "  max_header_bytes: 16384\n"
            "  read_timeout_ms: 30000\n"
            "  idle_timeout_ms: 60000\n"
            "  io_threads: 0\n"
            "  worker_threads: 0\n"
            "  default_row_limit: 10000\n"
            "  max_row_limit: 1000000\n"
            "  default_timeout_ms: 30000\n"
            "  max_timeout_ms: 300000\n"
            "  max_result_bytes: 67108864\n"
            "  shutdown_grace_ms: 10000\n"
            "sources:\n"
            "  demo:\n"
            "    type: duckdb\n"
            "    path: /var/lib/tributary/demo.duckdb\n"
            "    tags:\n"
            "      services: [llm-gateway]\n"
            "    investigate:\n"
            "      logs:\n"
            "        dataset: llm_logs\n"
            "projects:\n"
            "  demo:\n"
            "    sources: [demo]\n"
            "    datasets:\n"
            "      llm_logs:\n"
            "        source: demo\n"
            "        table: llm_logs\n"
            "      web_events:\n"
            "        source: demo\n"
            "        table: web_events\n"
            "default_project: demo\n");
}

TEST(ConfigRender, OrderAndQuoting) {
  Config config = MustLoad(R"(server:
  listen: "[::1]:9090"
  io_threads: 2
sources:
  lake:
    memory_limit: 2GB
    threads: 4
    type: duckdb
    tables: {"2024": "y2024.parquet", n: "off"}
projects:
  a:
    sources: [lake]
    datasets:
      web_events:
        source: lake
        table: "2024"
        client_pattern: "yes"
        features:
          - {match: '^/v[0-9]+', name: "1.5"}
  b:
    sources: [lake]
    datasets: {}
)");
  const std::string rendered = RenderConfig(config);
  EXPECT_EQ(rendered.substr(0, rendered.find("server:")),
            "# Tributary config resolved from cfg.yaml; secrets are shown as ***\n"
            "# no default_project: every request must name its project\n"
            "\n");
  EXPECT_EQ(rendered.substr(rendered.find("  max_result_bytes")),
            "  max_result_bytes: 67108864\n"
            "  shutdown_grace_ms: 10000\n"
            "sources:\n"
            "  lake:\n"
            "    type: duckdb\n"
            "    tables:\n"
            "      2024: y2024.parquet\n"
            "      n: \"off\"\n"
            "    threads: 4\n"
            "    memory_limit: 2GB\n"
            "projects:\n"
            "  a:\n"
            "    sources: [lake]\n"
            "    datasets:\n"
            "      web_events:\n"
            "        source: lake\n"
            "        table: \"2024\"\n"
            "        client_pattern: \"yes\"\n"
            "        features:\n"
            "          - {match: \"^/v[0-9]+\", name: \"1.5\"}\n"
            "  b:\n"
            "    sources: [lake]\n"
            "    datasets: {}\n");
  EXPECT_NE(rendered.find("  listen: \"[::1]:9090\"\n"), std::string::npos) << rendered;
}

TEST(ConfigRender, RenderingLoadsBackToTheSameConfig) {
  for (const Config& original :
       {BuiltinConfig("/data"), MustLoad(kFullConfig),
        MustLoad("sources: {d: {type: duckdb, memory_limit: 'on', tables: {t: '0x1F'}}}")}) {
    Result<Config> reloaded =
        LoadConfigText(RenderConfig(original), original.path, original.base_dir, FakeEnv());
    ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString() << "\n" << RenderConfig(original);
    EXPECT_EQ(reloaded->fingerprint, original.fingerprint) << RenderConfig(original);
  }
}

TEST(ConfigRender, RedactsPasswordsInUrls) {
  Config config = MustLoad(
      "sources:\n"
      "  lake:\n"
      "    type: duckdb\n"
      "    memory_limit: 2GB\n"
      "    tables:\n"
      "      remote: ${LAKE_URL}\n"
      "      local: file:///data/x.parquet\n",
      {{"LAKE_URL", "s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/x.parquet"}});
  const std::string rendered = RenderConfig(config);
  EXPECT_EQ(rendered.find("wJalrXUtnFEMI"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("remote: s3://AKIAEXAMPLE:***@bucket/x.parquet\n"), std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find("local: file:///data/x.parquet\n"), std::string::npos) << rendered;
  // A plain option is not a secret.
  EXPECT_NE(rendered.find("memory_limit: 2GB\n"), std::string::npos) << rendered;
  // The loaded value itself is untouched: only renderings are redacted.
  EXPECT_EQ(config.sources[0].options.GetStringMap("tables").at("remote"),
            "s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/x.parquet");
  // No project: the rendering says what that means.
  EXPECT_NE(rendered.find("# no default_project: every request must name its project"),
            std::string::npos)
      << rendered;
}

Config ConfigWithSecret(const std::string& password) {
  Config config = BuiltinConfig("/data");
  SourceConfig pg{"pg", "unregistered-engine", {}, {}};  // no schema: options render by name
  pg.options.Set("password", {OptionValue(password), {}, true});
  pg.options.Set("dsn",
                 {OptionValue("host=db user=app password=" + password + " port=5432"), {}, false});
  pg.options.Set("replicas", {OptionValue(std::vector<std::string>{"db2"}), {}, true});
  config.sources.push_back(pg);
  config.fingerprint = config_internal::ComputeFingerprint(config);
  return config;
}

TEST(ConfigRender, RedactsSecretOptions) {
  const std::string rendered = RenderConfig(ConfigWithSecret("hunter2"));
  EXPECT_EQ(rendered.find("hunter2"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("db2"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("  pg:\n"
                          "    type: unregistered-engine\n"
                          "    dsn: host=db user=app password=*** port=5432\n"
                          "    password: \"***\"\n"
                          "    replicas: \"***\"\n"),
            std::string::npos)
      << rendered;
}

TEST(ConfigRender, RedactCredentials) {
  using config_internal::RedactCredentials;
  EXPECT_EQ(RedactCredentials("postgres://app:s3cret@db:5432/sales"),
            "postgres://app:***@db:5432/sales");
  // An unescaped '@' in the password must not leave its tail visible.
  EXPECT_EQ(RedactCredentials("mysql://root:p@ss@db/x"), "mysql://root:***@db/x");
  EXPECT_EQ(RedactCredentials("redis://:token@cache:6379"), "redis://:***@cache:6379");
  EXPECT_EQ(RedactCredentials("a postgres://u:1@h and http://v:2@k"),
            "a postgres://u:***@h and http://v:***@k");
  EXPECT_EQ(RedactCredentials("mysql://root@db/x"), "mysql://root@db/x");
  EXPECT_EQ(RedactCredentials("http://host:8080/path"), "http://host:8080/path");
  EXPECT_EQ(RedactCredentials("host=db password='a b' port=5"), "host=db password=*** port=5");
  EXPECT_EQ(RedactCredentials("Server=x;Pwd=abc;Uid=u"), "Server=x;Pwd=***;Uid=u");
  EXPECT_EQ(RedactCredentials("https://x/q?user=a&Password=zz&n=1"),
            "https://x/q?user=a&Password=***&n=1");
  EXPECT_EQ(RedactCredentials("2GB"), "2GB");
}

TEST(ConfigFingerprint, ChangesWithAnyValue) {
  const std::string base = "sources:\n  demo:\n    type: duckdb\n    max_connections: 2\n";
  const Config a = MustLoad(base);
  EXPECT_EQ(MustLoad(base).fingerprint, a.fingerprint);
  // Comments and layout are not part of the config.
  EXPECT_EQ(MustLoad("# pool\n" + base).fingerprint, a.fingerprint);
  EXPECT_EQ(MustLoad("sources: {demo: {type: duckdb, max_connections: 2}}").fingerprint,
            a.fingerprint);

  EXPECT_NE(MustLoad("sources:\n  demo:\n    type: duckdb\n    max_connections: 3\n").fingerprint,
            a.fingerprint);
  EXPECT_NE(MustLoad(base + "server: {io_threads: 1}\n").fingerprint, a.fingerprint);
  // Setting a value to its default still changes what is written, but not the config.
  EXPECT_EQ(MustLoad(base + "server: {io_threads: 0}\n").fingerprint, a.fingerprint);
  const std::string from_env = "sources:\n  demo:\n    type: duckdb\n    path: ${P}\n";
  EXPECT_NE(MustLoad(from_env, {{"P", "a.duckdb"}}).fingerprint,
            MustLoad(from_env, {{"P", "b.duckdb"}}).fingerprint);
  // Relative paths resolve against base_dir, so it is part of the fingerprint.
  Result<Config> elsewhere = LoadConfigText(base, "cfg.yaml", "/srv", FakeEnv());
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_NE(elsewhere->fingerprint, a.fingerprint);
}

TEST(ConfigFingerprint, ChangesWithASecretThatRenderingHides) {
  const Config a = ConfigWithSecret("hunter2");
  const Config b = ConfigWithSecret("hunter3");
  EXPECT_EQ(RenderConfig(a), RenderConfig(b));
  EXPECT_NE(a.fingerprint, b.fingerprint);
}

}  // namespace
}  // namespace tributary
