// Malformed configs: each must fail with CONFIG_ERROR and exactly this message, location
// included, because the message is the user interface of a config mistake.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config/config_test_util.h"
#include "connectors/registry.h"

namespace tributary {
namespace {

using testing::LoadError;

// Lines 1-4 of many test configs: one valid source.
constexpr const char* kSources =
    "sources:\n"
    "  demo:\n"
    "    type: duckdb\n"
    "    path: demo.duckdb\n";

constexpr const char* kServerKeys =
    "listen, packs_dir, web_dir, max_body_bytes, max_header_bytes, read_timeout_ms, "
    "idle_timeout_ms, "
    "io_threads, "
    "worker_threads, fanout_threads, default_row_limit, max_row_limit, default_timeout_ms, "
    "max_timeout_ms, "
    "max_result_bytes, shutdown_grace_ms";

// Other connectors join the registry over time; the messages list whatever is registered.
std::string KnownTypes() {
  std::string out;
  for (const auto& factory : AllConnectors()) out += (out.empty() ? "" : ", ") + factory.type;
  return out;
}

TEST(ConfigErrors, UnknownTopLevelKeySuggestsTheClosest) {
  EXPECT_EQ(LoadError(std::string(kSources) + "servr:\n  listen: 127.0.0.1:1\n"),
            "cfg.yaml:5:1: servr: unknown key; did you mean 'server'? allowed keys: server, "
            "sources, projects, default_project, redis, cache, rate_limits, auth, imports, "
            "investigate, mcp");
  EXPECT_EQ(LoadError("colour: red\n" + std::string(kSources)),
            "cfg.yaml:1:1: colour: unknown key; allowed keys: server, sources, projects, "
            "default_project, redis, cache, rate_limits, auth, imports, investigate, mcp");
}

TEST(ConfigErrors, RedisSection) {
  EXPECT_EQ(LoadError(std::string(kSources) + "redis:\n  hots: 127.0.0.1\n"),
            "cfg.yaml:6:3: redis.hots: unknown key; did you mean 'host'? allowed keys: host, "
            "port, password, database, key_prefix, connect_timeout_ms, command_timeout_ms, "
            "pool_size");
  EXPECT_EQ(LoadError(std::string(kSources) + "redis:\n  port: 70000\n"),
            "cfg.yaml:6:9: redis.port: 70000 is too large; use a value from 1 to 65535");
  EXPECT_EQ(LoadError(std::string(kSources) + "redis:\n  host: 'a b'\n"),
            "cfg.yaml:6:9: redis.host: 'a b' is not a host name or address; write e.g. "
            "127.0.0.1 or redis.internal");
}

TEST(ConfigErrors, UnknownServerKeySuggestsTheClosest) {
  EXPECT_EQ(LoadError("server:\n  max_body_byts: 10\n" + std::string(kSources)),
            std::string("cfg.yaml:2:3: server.max_body_byts: unknown key; did you mean "
                        "'max_body_bytes'? allowed keys: ") +
                kServerKeys);
}

TEST(ConfigErrors, WrongTypeForAnInteger) {
  EXPECT_EQ(LoadError("server:\n  read_timeout_ms: 30s\n" + std::string(kSources)),
            "cfg.yaml:2:20: server.read_timeout_ms: expected an integer, got '30s'; write a "
            "whole number without units");
  EXPECT_EQ(LoadError("server:\n  io_threads: {n: 1}\n" + std::string(kSources)),
            "cfg.yaml:2:15: server.io_threads: expected an integer, got a mapping; write a whole "
            "number");
  EXPECT_EQ(LoadError("server:\n  io_threads: 99999999999999999999\n" + std::string(kSources)),
            "cfg.yaml:2:15: server.io_threads: 99999999999999999999 is out of range; use a value "
            ">= 0");
}

TEST(ConfigErrors, NegativeLimits) {
  EXPECT_EQ(LoadError("server:\n  max_body_bytes: -5\n" + std::string(kSources)),
            "cfg.yaml:2:19: server.max_body_bytes: -5 is too small; use a value >= 1");
  EXPECT_EQ(LoadError("server:\n  io_threads: -1\n" + std::string(kSources)),
            "cfg.yaml:2:15: server.io_threads: -1 is too small; use a value >= 0");
  EXPECT_EQ(LoadError("server:\n  shutdown_grace_ms: 0\n" + std::string(kSources)),
            "cfg.yaml:2:22: server.shutdown_grace_ms: 0 is too small; use a value >= 1");
}

TEST(ConfigErrors, DefaultAboveMaximum) {
  EXPECT_EQ(LoadError("server:\n  max_row_limit: 100\n  default_row_limit: 500\n" +
                      std::string(kSources)),
            "cfg.yaml:3:22: server.default_row_limit: 500 exceeds max_row_limit (100); lower "
            "default_row_limit or raise max_row_limit");
  // Only the maximum was written: the error points there and names the default it undercuts.
  EXPECT_EQ(LoadError("server:\n  max_timeout_ms: 1000\n" + std::string(kSources)),
            "cfg.yaml:2:19: server.max_timeout_ms: 1000 is below default_timeout_ms (30000, its "
            "default); raise max_timeout_ms or set default_timeout_ms <= 1000");
}

TEST(ConfigErrors, BadListenAddress) {
  EXPECT_EQ(LoadError("server:\n  listen: localhost\n" + std::string(kSources)),
            "cfg.yaml:2:11: server.listen: 'localhost' is not HOST:PORT; write e.g. "
            "127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080");
  EXPECT_EQ(LoadError("server:\n  listen: 0.0.0.0:65536\n" + std::string(kSources)),
            "cfg.yaml:2:11: server.listen: port '65536' is not a number from 0 to 65535; write "
            "e.g. 127.0.0.1:8080");
  EXPECT_EQ(LoadError("server:\n  listen: \"::1:8080\"\n" + std::string(kSources)),
            "cfg.yaml:2:11: server.listen: IPv6 address in '::1:8080' needs brackets; write "
            "e.g. [::1]:8080");
  EXPECT_EQ(LoadError("server:\n  listen: \"[::1]:http\"\n" + std::string(kSources)),
            "cfg.yaml:2:11: server.listen: port 'http' is not a number from 0 to 65535; write "
            "e.g. [::1]:8080");
}

TEST(ConfigErrors, UnknownConnectorType) {
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdbb\n"),
            "cfg.yaml:3:11: sources.demo.type: unknown connector type 'duckdbb'; did you mean "
            "'duckdb'? known types: " +
                KnownTypes());
}

TEST(ConfigErrors, MissingConnectorType) {
  EXPECT_EQ(LoadError("sources:\n  demo:\n    path: x.duckdb\n"),
            "cfg.yaml:2:3: sources.demo: missing required key 'type'; add type: <connector>, one "
            "of: " +
                KnownTypes());
}

TEST(ConfigErrors, UnknownDuckDbOption) {
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdb\n    paht: x.duckdb\n"),
            "cfg.yaml:4:5: sources.demo.paht: unknown option; did you mean 'path'? duckdb "
            "options: type, path, tables, max_connections, threads, memory_limit, limits, tags, "
            "investigate");
}

TEST(ConfigErrors, WrongOptionType) {
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdb\n    tables: [a.parquet]\n"),
            "cfg.yaml:4:13: sources.demo.tables: expected a mapping of strings, got a list; "
            "write name: value pairs under it");
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdb\n    threads: many\n"),
            "cfg.yaml:4:14: sources.demo.threads: expected an integer, got 'many'; write a whole "
            "number without units");
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdb\n    path: [a, b]\n"),
            "cfg.yaml:4:11: sources.demo.path: expected a string, got a list; write a single "
            "value");
}

TEST(ConfigErrors, OptionOutOfRange) {
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdb\n    max_connections: 1000\n"),
            "cfg.yaml:4:22: sources.demo.max_connections: 1000 is too large; use a value from 1 "
            "to 256");
}

TEST(ConfigErrors, DuplicateSourceId) {
  EXPECT_EQ(LoadError("sources:\n  pg: {type: duckdb}\n  pg: {type: duckdb, path: b.duckdb}\n"),
            "cfg.yaml:3:3: sources.pg: duplicate source id 'pg' (first defined at cfg.yaml:2:3); "
            "rename or remove one of them");
}

TEST(ConfigErrors, DuplicateKeys) {
  EXPECT_EQ(LoadError(std::string(kSources) +
                      "projects:\n  p:\n    sources: [demo]\n    sources: [demo]\n"),
            "cfg.yaml:8:5: projects.p.sources: duplicate key 'sources' (first defined at "
            "cfg.yaml:7:5); keep only one");
  EXPECT_EQ(LoadError(std::string(kSources) +
                      "projects:\n  p: {sources: [demo]}\n  p: {sources: [demo]}\n"),
            "cfg.yaml:7:3: projects.p: duplicate project id 'p' (first defined at cfg.yaml:6:3); "
            "rename or remove one of them");
  EXPECT_EQ(
      LoadError("server:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n" + std::string(kSources)),
      "cfg.yaml:3:3: server.listen: duplicate key 'listen' (first defined at "
      "cfg.yaml:2:3); keep only one");
  EXPECT_EQ(LoadError(std::string(kSources) + "sources: {}\n"),
            "cfg.yaml:5:1: sources: duplicate key 'sources' (first defined at cfg.yaml:1:1); "
            "keep only one");
}

TEST(ConfigErrors, ProjectReferencesAnUnknownSource) {
  // The project comes first: references may point forward, so this is resolved at the end.
  EXPECT_EQ(LoadError("projects:\n  p:\n    sources: [demo, dmeo]\n" + std::string(kSources)),
            "cfg.yaml:3:21: projects.p.sources[1]: unknown source 'dmeo'; did you mean 'demo'? "
            "defined sources: demo");
  EXPECT_EQ(LoadError("projects:\n  p:\n    sources: [demo, demo]\n" + std::string(kSources)),
            "cfg.yaml:3:21: projects.p.sources[1]: source 'demo' is listed twice; remove the "
            "duplicate");
  EXPECT_EQ(LoadError(std::string(kSources) + "projects:\n  p:\n    sources: []\n"),
            "cfg.yaml:7:14: projects.p.sources: empty list; list at least one source id, e.g. "
            "sources: [demo]");
  EXPECT_EQ(LoadError(std::string(kSources) + "projects:\n  p:\n    datasets: {}\n"),
            "cfg.yaml:6:3: projects.p: missing required key 'sources'; list the source ids this "
            "project may use, e.g. sources: [demo]");
}

TEST(ConfigErrors, DatasetSourceNotInProject) {
  EXPECT_EQ(LoadError(std::string(kSources) + "  other: {type: duckdb}\n"
                                              "projects:\n"
                                              "  p:\n"
                                              "    sources: [demo]\n"
                                              "    datasets:\n"
                                              "      llm_logs: {source: other}\n"),
            "cfg.yaml:10:26: projects.p.datasets.llm_logs.source: source 'other' is not one of "
            "this project's sources (demo); add it to projects.p.sources or use one of them");
  EXPECT_EQ(LoadError(std::string(kSources) + "projects:\n"
                                              "  p:\n"
                                              "    sources: [demo]\n"
                                              "    datasets:\n"
                                              "      llm_logs: {table: logs}\n"),
            "cfg.yaml:9:7: projects.p.datasets.llm_logs: missing required key 'source'; name the "
            "project source that holds llm_logs");
}

TEST(ConfigErrors, InvalidDatasetName) {
  const std::string prefix = std::string(kSources) +
                             "projects:\n"
                             "  p:\n"
                             "    sources: [demo]\n"
                             "    datasets:\n";
  // Which datasets exist is the packs' business (CheckDatasetBindings); the config checks
  // that the name is an id.
  EXPECT_EQ(LoadError(prefix + "      \"llm logs\": {source: demo}\n"),
            "cfg.yaml:9:7: projects.p.datasets.llm logs: invalid dataset name; use letters, "
            "digits, '_' and '-', e.g. llm_logs");
}

TEST(ConfigErrors, BadRegularExpressions) {
  const std::string prefix = std::string(kSources) +
                             "projects:\n"
                             "  p:\n"
                             "    sources: [demo]\n"
                             "    datasets:\n"
                             "      web_events:\n"
                             "        source: demo\n";
  EXPECT_EQ(LoadError(prefix + "        features:\n          - {match: '^/(a', name: docs}\n"),
            "cfg.yaml:12:21: projects.p.datasets.web_events.features[0].match: invalid regular "
            "expression: unmatched '(' or ')'; fix the pattern (ECMAScript syntax)");
  EXPECT_EQ(LoadError(prefix + "        client_pattern: '[abc'\n"),
            "cfg.yaml:11:25: projects.p.datasets.web_events.client_pattern: invalid regular "
            "expression: unmatched '['; fix the pattern (ECMAScript syntax)");
  EXPECT_EQ(LoadError(prefix + "        features:\n          - {match: '^/docs'}\n"),
            "cfg.yaml:12:13: projects.p.datasets.web_events.features[0]: missing required key "
            "'name'; add name: <feature name>");
}

TEST(ConfigErrors, MissingEnvironmentVariable) {
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdb\n    memory_limit: ${MEM}\n"),
            "cfg.yaml:4:19: sources.demo.memory_limit: environment variable 'MEM' is not set; "
            "export it or write ${MEM:-default}");
  // Substituted text is converted afterwards, so a bad integer from the environment is
  // reported like one written in the file.
  EXPECT_EQ(
      LoadError("server:\n  max_body_bytes: ${BODY}\n" + std::string(kSources), {{"BODY", "big"}}),
      "cfg.yaml:2:19: server.max_body_bytes: expected an integer, got 'big'; write a "
      "whole number without units");
}

TEST(ConfigErrors, EchoedValuesHideUrlPasswords) {
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdb\n    threads: ${URL}\n",
                      {{"URL", "postgres://app:hunter2@db/x"}}),
            "cfg.yaml:4:14: sources.demo.threads: expected an integer, got "
            "'postgres://app:***@db/x'; write a whole number without units");
}

TEST(ConfigErrors, UnterminatedSubstitution) {
  EXPECT_EQ(LoadError("sources:\n  demo:\n    type: duckdb\n    path: ${DATA/demo.duckdb\n"),
            "cfg.yaml:4:11: sources.demo.path: unterminated '${'; close it with '}' or write "
            "'$$' for a literal '$'");
}

TEST(ConfigErrors, UnknownDefaultProject) {
  EXPECT_EQ(LoadError(std::string(kSources) +
                      "projects:\n  main: {sources: [demo]}\ndefault_project: mian\n"),
            "cfg.yaml:7:18: default_project: unknown project 'mian'; did you mean 'main'? "
            "defined projects: main");
  EXPECT_EQ(LoadError(std::string(kSources) + "default_project: demo\n"),
            "cfg.yaml:5:18: default_project: unknown project 'demo'; defined projects: (none)");
}

TEST(ConfigErrors, YamlSyntaxError) {
  EXPECT_EQ(LoadError("server:\n  listen: [127.0.0.1:8080\n"),
            "cfg.yaml:3:1: end of sequence flow not found");
  EXPECT_EQ(LoadError("server: listen: 127.0.0.1:8080\n"), "cfg.yaml:1:15: illegal map value");
}

TEST(ConfigErrors, EmptyDocument) {
  const std::string empty =
      "the config is empty; define at least sources, e.g. sources: {demo: {type: duckdb, path: "
      "demo.duckdb}}";
  EXPECT_EQ(LoadError(""), "cfg.yaml:1:1: " + empty);
  EXPECT_EQ(LoadError("# nothing configured yet\n"), "cfg.yaml:1:1: " + empty);
  EXPECT_EQ(LoadError("---\n"), "cfg.yaml:1:1: " + empty);
}

TEST(ConfigErrors, DocumentIsNotAMapping) {
  EXPECT_EQ(
      LoadError("- sources\n- projects\n"),
      "cfg.yaml:1:1: expected a mapping with keys server, sources, projects, "
      "default_project, redis, cache, rate_limits, auth, imports, investigate, mcp, got a list; "
      "write the config as "
      "key: value pairs");
  EXPECT_EQ(
      LoadError("hello\n"),
      "cfg.yaml:1:1: expected a mapping with keys server, sources, projects, "
      "default_project, redis, cache, rate_limits, auth, imports, investigate, mcp, got a single "
      "value; write the "
      "config as key: value pairs");
}

TEST(ConfigErrors, MissingOrEmptySources) {
  EXPECT_EQ(LoadError("server:\n  listen: 127.0.0.1:9000\n"),
            "cfg.yaml:1:1: missing required key 'sources'; define at least one source, e.g. "
            "sources: {demo: {type: duckdb, path: demo.duckdb}}");
  EXPECT_EQ(LoadError("sources: {}\n"),
            "cfg.yaml:1:10: sources: no sources defined; add one, e.g. demo: {type: duckdb, "
            "path: demo.duckdb}");
}

TEST(ConfigErrors, EmptyValueWhereAMappingIsExpected) {
  // An empty value is reported at its key: yaml-cpp would place it at the next line.
  EXPECT_EQ(LoadError("server:\n" + std::string(kSources)),
            "cfg.yaml:1:1: server: expected a mapping, got an empty value; write key: value "
            "pairs under it");
}

TEST(ConfigErrors, InvalidIds) {
  EXPECT_EQ(LoadError("sources:\n  'my db': {type: duckdb}\n"),
            "cfg.yaml:2:3: sources.my db: invalid source id; use 1 to 64 letters, digits, '_' or "
            "'-'");
  EXPECT_EQ(LoadError(std::string(kSources) + "projects:\n  a.b: {sources: [demo]}\n"),
            "cfg.yaml:6:3: projects.a.b: invalid project id; use 1 to 64 letters, digits, '_' or "
            "'-'");
}

TEST(ConfigErrors, SeveralDocuments) {
  EXPECT_EQ(LoadError(std::string(kSources) + "---\nserver: {}\n"),
            "cfg.yaml:6:1: more than one YAML document; keep a single document (remove the extra "
            "'---')");
}

TEST(ConfigErrors, JsonErrorsHaveLocations) {
  EXPECT_EQ(LoadError("{\"sources\": {\"demo\": {\"type\": \"duckdb\", \"threads\": \"4x\"}}}"),
            "cfg.yaml:1:52: sources.demo.threads: expected an integer, got '4x'; write a whole "
            "number without units");
}

TEST(ConfigErrors, UnreadableFile) {
  Result<Config> missing = LoadConfigFile("/nonexistent-tributary-dir/tributary.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kConfigError);
  EXPECT_EQ(missing.status().message(),
            "cannot read config file '/nonexistent-tributary-dir/tributary.yaml': No such file or "
            "directory; check the path and its permissions");

  const std::string dir = ::testing::TempDir();
  Result<Config> directory = LoadConfigFile(dir);
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().message(), "cannot read config file '" + dir +
                                              "': Is a directory; check the path and its " +
                                              "permissions");
}

TEST(ConfigErrors, FileErrorsNameTheFile) {
  const std::string path = ::testing::TempDir() + "/tributary_config_errors.yaml";
  {
    std::ofstream out(path);
    out << "sources:\n  demo:\n    type: duckdb\n    threads: 0\n";
  }
  Result<Config> config = LoadConfigFile(path, testing::FakeEnv());
  std::filesystem::remove(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            path + ":4:14: sources.demo.threads: 0 is too small; use a value from 1 to 1024");
}

}  // namespace
}  // namespace tributary
