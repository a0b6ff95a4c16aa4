// Unit tests of the access pieces that need no server: the auth/rate_limits/limits config
// sections, the sliding-window rate limiter on an injected clock, EffectiveQueryLimits and the
// loopback rule.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/config_test_util.h"
#include "orchestrator/query_limits.h"
#include "orchestrator/runtime.h"
#include "server/auth.h"
#include "server/rate_limit.h"

namespace tributary::testing {
namespace {

constexpr const char* kBase =
    "sources:\n"
    "  a: {type: duckdb, path: a.duckdb}\n"
    "  b: {type: duckdb, path: b.duckdb}\n"
    "projects:\n"
    "  p1: {sources: [a]}\n"
    "  p2: {sources: [b]}\n";

const std::string kHash = KeySha256Hex("correct-horse-battery-staple");

Config MustLoad(const std::string& text, std::map<std::string, std::string> vars = {}) {
  Result<Config> config = LoadConfigText(text, "cfg.yaml", "/etc/trib", FakeEnv(std::move(vars)));
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? std::move(config).value() : Config{};
}

TEST(AccessConfig, Sha256HexMatchesKnownVector) {
  EXPECT_EQ(KeySha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AccessConfig, KeysFromHashAndFromEnvironment) {
  Config config = MustLoad(std::string(kBase) +
                               "auth:\n"
                               "  keys:\n"
                               "    - {name: hashed, sha256: " +
                               kHash +
                               ", projects: [p1], roles: [read]}\n"
                               "    - {name: clear, key: '${K}', projects: ['*'], roles: [query, "
                               "admin]}\n",
                           {{"K", "a-long-enough-clear-key"}});
  ASSERT_EQ(config.auth.keys.size(), 2u);
  EXPECT_TRUE(config.auth.enabled());
  const ApiKeyConfig& hashed = config.auth.keys[0];
  EXPECT_EQ(hashed.digest, KeySha256("correct-horse-battery-staple"));
  EXPECT_TRUE(hashed.HasRole(Role::kRead));
  EXPECT_FALSE(hashed.HasRole(Role::kQuery));
  EXPECT_TRUE(hashed.HasProject("p1"));
  EXPECT_FALSE(hashed.HasProject("p2"));
  const ApiKeyConfig& clear = config.auth.keys[1];
  EXPECT_EQ(clear.digest, KeySha256("a-long-enough-clear-key"));
  EXPECT_TRUE(clear.all_projects);
  EXPECT_TRUE(clear.HasProject("anything"));
  EXPECT_TRUE(clear.HasRole(Role::kAdmin));
  EXPECT_FALSE(clear.HasRole(Role::kRead));
}

TEST(AccessConfig, RenderRedactsKeysAndFingerprintCoversThem) {
  const std::string text = std::string(kBase) + "auth:\n  keys:\n    - {name: k, sha256: " + kHash +
                           ", projects: [p1], roles: [read]}\n";
  Config config = MustLoad(text);
  std::string rendered = RenderConfig(config);
  EXPECT_EQ(rendered.find(kHash), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("sha256: \"***\""), std::string::npos) << rendered;
  std::string other = text;
  other.replace(other.find(kHash), kHash.size(), KeySha256Hex("another-key-entirely"));
  EXPECT_NE(MustLoad(other).fingerprint, config.fingerprint);
  EXPECT_EQ(RenderConfig(MustLoad(std::string(kBase) + "auth: none\n")).find("auth: none") ==
                std::string::npos,
            false);
}

TEST(AccessConfig, Errors) {
  const std::string keys = std::string(kBase) + "auth:\n  keys:\n    - ";
  EXPECT_EQ(LoadError(std::string(kBase) + "auth: {mode: keys, kyes: []}\n"),
            "cfg.yaml:7:20: auth.kyes: unknown key; did you mean 'keys'? allowed keys: mode, keys");
  EXPECT_EQ(LoadError(std::string(kBase) + "auth: off\n"),
            "cfg.yaml:7:7: auth: 'off' is not an auth setting; write auth: none to serve without "
            "keys, or auth: {keys: [...]} to require API keys");
  EXPECT_EQ(LoadError(keys + "{name: k, sha256: abc, projects: [p1], roles: [read]}\n"),
            "cfg.yaml:9:25: auth.keys[0].sha256: not a SHA-256 in hex (64 hex digits); `tributary "
            "hash-key` prints a key with its sha256 line, or run: printf %s \"$KEY\" | sha256sum");
  EXPECT_EQ(LoadError(keys + "{name: k, sha256: " + kHash + ", projects: [p3], roles: [read]}\n"),
            "cfg.yaml:9:102: auth.keys[0].projects[0]: unknown project 'p3'; did you mean 'p1'? "
            "defined projects: p1, p2");
  EXPECT_EQ(LoadError(keys + "{name: k, sha256: " + kHash + ", projects: [p1], roles: [raed]}\n"),
            "cfg.yaml:9:115: auth.keys[0].roles[0]: unknown role 'raed'; did you mean 'read'? "
            "roles: read (metrics, schema, sources), query (raw SQL), admin (cache, reload, rate "
            "limits)");
  EXPECT_EQ(LoadError(keys + "{name: k, key: short, projects: [p1], roles: [read]}\n"),
            "cfg.yaml:9:22: auth.keys[0].key: the key is shorter than 16 characters; use a long "
            "random key (`tributary hash-key` prints one)");
  EXPECT_EQ(
      LoadError(keys + "{name: k, projects: [p1], roles: [read]}\n"),
      "cfg.yaml:9:7: auth.keys[0]: missing required key 'sha256'; add sha256: <hex SHA-256 of the "
      "key> or key: ${ENV_VAR} (`tributary hash-key` prints a new key and its sha256 line)");
  EXPECT_NE(LoadError(keys + "{name: k, key: '${MISSING}', projects: [p1], roles: [read]}\n")
                .find("MISSING"),
            std::string::npos);
  EXPECT_EQ(LoadError(std::string(kBase) + "rate_limits: {per_minute: 5, per_day: 9}\n"),
            "cfg.yaml:7:30: rate_limits.per_day: unknown key; allowed keys (0 turns a window "
            "off): per_minute, per_hour");
  EXPECT_EQ(LoadError("sources:\n  a: {type: duckdb, path: a.duckdb, limits: {max_row: 5}}\n"),
            "cfg.yaml:2:46: sources.a.limits.max_row: unknown key; did you mean 'max_rows'? "
            "allowed keys: timeout_ms, max_rows, max_bytes, cost_warn_bytes, cost_deny_bytes");
  EXPECT_EQ(LoadError("sources:\n  a: {type: duckdb, path: a.duckdb}\nprojects:\n  p: {sources: "
                      "[a], limits: {timeout_ms: 0}}\n"),
            "cfg.yaml:4:42: projects.p.limits.timeout_ms: 0 is too small; use a value >= 1");
}

TEST(AccessConfig, RateLimitsInheritAndDefaultOnlyWithAnAuthSection) {
  Config unset = MustLoad(kBase);
  EXPECT_EQ(RateLimitsFor(unset, "p1"), (RateLimitSettings{0, 0}));
  Config none = MustLoad(std::string(kBase) + "auth: none\n");
  EXPECT_EQ(RateLimitsFor(none, "p1"), (RateLimitSettings{100, 1000}));
  Config custom = MustLoad(
      "rate_limits: {per_minute: 7, per_hour: 70}\n"
      "sources:\n  a: {type: duckdb, path: a.duckdb}\n"
      "projects:\n  p1: {sources: [a], rate_limits: {per_minute: 3}}\n  p2: {sources: [a]}\n");
  EXPECT_EQ(RateLimitsFor(custom, "p1"), (RateLimitSettings{3, 70}));
  EXPECT_EQ(RateLimitsFor(custom, "p2"), (RateLimitSettings{7, 70}));
  EXPECT_EQ(RateLimitsFor(custom, ""), (RateLimitSettings{7, 70}));
}

TEST(QueryLimits, TightestOfServerProjectAndSourceWins) {
  Config config = MustLoad(
      "server: {default_row_limit: 100, max_row_limit: 1000, default_timeout_ms: 5000, "
      "max_timeout_ms: 9000, max_result_bytes: 4096}\n"
      "sources:\n"
      "  a: {type: duckdb, path: a.duckdb, limits: {max_rows: 3, max_bytes: 100}}\n"
      "  b: {type: duckdb, path: b.duckdb}\n"
      "projects:\n  p: {sources: [a, b], limits: {max_rows: 50, timeout_ms: 2000}}\n");
  const ProjectConfig* p = config.FindProject("p");
  QueryLimits a = EffectiveQueryLimits(config, p, *config.FindSource("a"));
  EXPECT_EQ(a.max_rows, 3);
  EXPECT_EQ(a.default_rows, 3);
  EXPECT_EQ(a.max_rows_from, "sources.a.limits.max_rows");
  EXPECT_EQ(a.max_timeout_ms, 2000);
  EXPECT_EQ(a.default_timeout_ms, 2000);
  EXPECT_EQ(a.max_timeout_from, "projects.p.limits.timeout_ms");
  EXPECT_EQ(a.max_bytes, 100);
  QueryLimits b = EffectiveQueryLimits(config, p, *config.FindSource("b"));
  EXPECT_EQ(b.max_rows, 50);
  EXPECT_EQ(b.default_rows, 50);
  EXPECT_EQ(b.max_bytes, 4096);
  QueryLimits server_only = EffectiveQueryLimits(config, nullptr, *config.FindSource("b"));
  EXPECT_EQ(server_only.max_rows, 1000);
  EXPECT_EQ(server_only.default_rows, 100);
  EXPECT_EQ(server_only.max_timeout_ms, 9000);
  EXPECT_EQ(server_only.default_timeout_ms, 5000);

  // A request may ask for less, never for more.
  Result<RequestedLimits> less = ApplyRequestedLimits(a, 2, 100);
  ASSERT_TRUE(less.ok());
  EXPECT_EQ(less->rows, 2);
  EXPECT_EQ(less->timeout_ms, 100);
  Result<RequestedLimits> more = ApplyRequestedLimits(a, 4, std::nullopt);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().message(),
            "'limit' must be between 1 and 3 (sources.a.limits.max_rows), got 4");
  more = ApplyRequestedLimits(a, std::nullopt, 2001);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().message(),
            "'timeoutMs' must be between 1 and 2000 (projects.p.limits.timeout_ms), got 2001");
}

TEST(QueryLimits, CostThresholdsTightestSetOneWinsElseDefaults) {
  Config config = MustLoad(
      "sources:\n"
      "  a: {type: duckdb, path: a.duckdb, limits: {cost_warn_bytes: 500, cost_deny_bytes: "
      "9000000000}}\n"
      "  b: {type: duckdb, path: b.duckdb}\n"
      "projects:\n  p: {sources: [a, b], limits: {cost_deny_bytes: 2000}}\n");
  const ProjectConfig* p = config.FindProject("p");
  QueryLimits a = EffectiveQueryLimits(config, p, *config.FindSource("a"));
  EXPECT_EQ(a.cost_warn_bytes, 500);
  EXPECT_EQ(a.cost_deny_bytes, 2000);
  EXPECT_EQ(a.cost_deny_from, "projects.p.limits.cost_deny_bytes");
  // Without the project, the source's own limit raises the 1 GiB default.
  QueryLimits a_alone = EffectiveQueryLimits(config, nullptr, *config.FindSource("a"));
  EXPECT_EQ(a_alone.cost_deny_bytes, 9000000000);
  EXPECT_EQ(a_alone.cost_deny_from, "sources.a.limits.cost_deny_bytes");
  QueryLimits b = EffectiveQueryLimits(config, nullptr, *config.FindSource("b"));
  EXPECT_EQ(b.cost_warn_bytes, 100ll << 20);
  EXPECT_EQ(b.cost_deny_bytes, 1ll << 30);
  EXPECT_EQ(b.cost_deny_from, "sources.b.limits.cost_deny_bytes");
}

TEST(RateLimiter, SlidingMinuteWindowOnAnInjectedClock) {
  int64_t now = 1'000'000;
  RateLimiter limiter([&] { return now; });
  RateLimitSettings settings{3, 0};
  for (int i = 0; i < 3; ++i) {
    RateDecision d = limiter.Hit("k", settings, nullptr);
    EXPECT_TRUE(d.allowed) << i;
    ASSERT_EQ(d.windows.size(), 1u);
    EXPECT_EQ(d.windows[0].remaining, 2 - i);
    now += 10'000;  // requests at 0 s, 10 s, 20 s
  }
  // At 30 s the window holds 3: refused until the first leaves at 60 s.
  RateDecision refused = limiter.Hit("k", settings, nullptr);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 30'000);
  EXPECT_EQ(refused.windows[0].used, 3);
  EXPECT_EQ(refused.windows[0].remaining, 0);
  // Refused requests are not counted; another bucket is independent.
  EXPECT_TRUE(limiter.Hit("other", settings, nullptr).allowed);
  now = 1'000'000 + 60'000;  // the request at 0 s has left the window
  RateDecision slid = limiter.Hit("k", settings, nullptr);
  EXPECT_TRUE(slid.allowed);
  EXPECT_EQ(slid.windows[0].used, 3);
  // The next slot frees when the request at 10 s leaves, 10 s from now.
  RateDecision again = limiter.Hit("k", settings, nullptr);
  EXPECT_FALSE(again.allowed);
  EXPECT_EQ(again.retry_after_ms, 10'000);
}

TEST(RateLimiter, HourWindowAndHeaders) {
  int64_t now = 5'000'000;
  RateLimiter limiter([&] { return now; });
  RateLimitSettings settings{100, 2};
  EXPECT_TRUE(limiter.Hit("k", settings, nullptr).allowed);
  now += 120'000;
  RateDecision second = limiter.Hit("k", settings, nullptr);
  EXPECT_TRUE(second.allowed);
  auto headers = second.Headers();
  auto header = [&](const std::string& name) {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return std::string("(absent)");
  };
  // The hour window is the tighter one: 0 left, the first request leaves it in 58 minutes.
  EXPECT_EQ(header("RateLimit-Limit"), "2");
  EXPECT_EQ(header("RateLimit-Remaining"), "0");
  EXPECT_EQ(header("RateLimit-Reset"), "3480");
  EXPECT_EQ(header("RateLimit-Policy"), "100;w=60, 2;w=3600");
  EXPECT_EQ(header("Retry-After"), "(absent)");
  now += 1'000;
  RateDecision third = limiter.Hit("k", settings, nullptr);
  EXPECT_FALSE(third.allowed);
  headers = third.Headers();
  EXPECT_EQ(header("Retry-After"), "3479");
  // Peek counts nothing.
  RateDecision peek = limiter.Peek("k", settings, nullptr);
  EXPECT_TRUE(peek.allowed);
  EXPECT_EQ(peek.windows[1].used, 2);
  EXPECT_EQ(limiter.Peek("k", settings, nullptr).windows[1].used, 2);
}

TEST(RateLimiter, WindowsSetToZeroAreOff) {
  RateLimiter limiter([] { return int64_t{1}; });
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(limiter.Hit("k", {0, 0}, nullptr).allowed);
  EXPECT_TRUE(limiter.Hit("k", {0, 0}, nullptr).Headers().empty());
}

TEST(ListenRule, LoopbackOnlyWithoutAnAuthSection) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.8.9.10"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("::ffff:127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.1.2.3"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));

  Config unset = MustLoad(kBase);
  EXPECT_TRUE(CheckListenAllowed(unset, "127.0.0.1").ok());
  Status refused = CheckListenAllowed(unset, "0.0.0.0");
  EXPECT_EQ(refused.code(), ErrorCode::kConfigError);
  EXPECT_NE(refused.message().find("refusing to listen on '0.0.0.0' without API keys"),
            std::string::npos);
  EXPECT_NE(refused.message().find("auth: none"), std::string::npos);
  EXPECT_TRUE(CheckListenAllowed(MustLoad(std::string(kBase) + "auth: none\n"), "0.0.0.0").ok());
  EXPECT_TRUE(CheckListenAllowed(MustLoad(std::string(kBase) + "auth: {keys: [{name: k, sha256: " +
                                          kHash + ", projects: [p1], roles: [read]}]}\n"),
                                 "0.0.0.0")
                  .ok());
}

TEST(ApiKeys, NewKeysAreRandomAndLong) {
  std::string a = NewApiKey();
  std::string b = NewApiKey();
  EXPECT_EQ(a.size(), 5u + 43u);
  EXPECT_EQ(a.rfind("trib_", 0), 0u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace tributary::testing

namespace tributary::testing {
namespace {

//! AdmitRequest on a hand-made admin route acting on one project or all (as cache clearing
//! does), with the JSON body or the query string naming the project.
TEST(AdmitRequest, ProjectOrAllNeedsTheProjectOrAStarKey) {
  Config config =
      MustLoad(std::string(kBase) + "auth:\n  keys:\n" +
               "    - {name: one, sha256: " + KeySha256Hex("key-for-p1-only-123") +
               ", projects: [p1], roles: [admin]}\n"
               "    - {name: all, sha256: " +
               KeySha256Hex("key-for-every-project") +
               ", projects: ['*'], roles: [admin]}\n"
               "    - {name: reader, sha256: " +
               KeySha256Hex("key-that-only-reads") + ", projects: ['*'], roles: [read]}\n");
  std::shared_ptr<Runtime> runtime = Runtime::Open(config);
  Route route{"POST", "/x", nullptr, false, RouteAccess::Admin(ProjectFrom::kProjectOrAll),
              nullptr};
  auto status = [&](const std::string& key, const std::string& body, const std::string& query) {
    ApiRequest req;
    req.method = "POST";
    req.body = body;
    req.query = query;
    req.runtime = runtime;
    req.headers["authorization"] = "Bearer " + key;
    Admission a = AdmitRequest(route, req, nullptr);
    return a.denial ? a.denial->status : 200;
  };
  EXPECT_EQ(status("key-for-p1-only-123", R"({"project":"p1"})", ""), 200);
  EXPECT_EQ(status("key-for-p1-only-123", R"({"project":"p2"})", ""), 403);
  EXPECT_EQ(status("key-for-p1-only-123", R"({"project":7})", ""), 403);
  EXPECT_EQ(status("key-for-p1-only-123", "", "project=p1"), 200);
  EXPECT_EQ(status("key-for-p1-only-123", "", "project=p1&project=p2"), 403);
  EXPECT_EQ(status("key-for-p1-only-123", "{}", ""), 403);
  EXPECT_EQ(status("key-for-every-project", "{}", ""), 200);
  EXPECT_EQ(status("key-for-every-project", R"({"project":"p2"})", ""), 200);
  EXPECT_EQ(status("key-that-only-reads", "{}", ""), 403);
  EXPECT_EQ(status("not-a-key-at-all-here", "{}", ""), 401);
}

}  // namespace
}  // namespace tributary::testing
