// Unit tests of the result cache's parts that need no server: the in-process backend (LRU
// bounded in bytes, expiry, per-project counts, clear filters), the entry's text form, the
// key, TTL resolution, Cache-Control parsing and the `cache:` config sections.
#include <gtest/gtest.h>

#include "cache/cache_backend.h"
#include "cache/result_cache.h"
#include "config/config.h"

namespace tributary {
namespace {

std::shared_ptr<const CachedAnswer> Entry(const std::string& project,
                                          std::vector<std::string> sources, size_t body_bytes) {
  auto e = std::make_shared<CachedAnswer>();
  e->project = project;
  e->sources = std::move(sources);
  e->prefix = "{\"data\":" + std::string(body_bytes, '1') + ",\"meta\":{";
  e->data_offset = 8;
  e->data_size = body_bytes;
  e->stored_at_us = 1000;
  e->ttl_ms = 1000;
  return e;
}

struct FakeClock {
  int64_t now = 1'000'000'000;
  CacheClock clock() {
    return [this] { return now; };
  }
};

TEST(CacheMemoryBackend, EvictsTheLeastRecentlyUsedWhenTheBytesAreExceeded) {
  FakeClock clock;
  // Room for three 100 KiB entries, not four.
  MemoryCacheBackend backend(350 * 1024, clock.clock());
  for (const char* key : {"k1", "k2", "k3"}) {
    ASSERT_TRUE(backend.Put(key, Entry("p", {"s"}, 100 * 1024), 60000).ok());
  }
  // k1 is used, so k2 is now the least recently used.
  ASSERT_NE(*backend.Get("k1"), nullptr);
  ASSERT_TRUE(backend.Put("k4", Entry("p", {"s"}, 100 * 1024), 60000).ok());
  EXPECT_NE(*backend.Get("k1"), nullptr);
  EXPECT_EQ(*backend.Get("k2"), nullptr);
  EXPECT_NE(*backend.Get("k3"), nullptr);
  EXPECT_NE(*backend.Get("k4"), nullptr);
  BackendStats stats = *backend.Stats();
  EXPECT_EQ(stats.total.entries, 3);
  EXPECT_EQ(stats.total.evictions, 1);
  EXPECT_LE(stats.total.bytes, 350 * 1024);
  EXPECT_GT(stats.total.bytes, 300 * 1024);
  EXPECT_EQ(stats.max_bytes, 350 * 1024);
  EXPECT_EQ(stats.projects.at("p").evictions, 1);
}

TEST(CacheMemoryBackend, OneLargeEntryEvictsSeveralSmallOnes) {
  FakeClock clock;
  MemoryCacheBackend backend(300 * 1024, clock.clock());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(backend.Put("small" + std::to_string(i), Entry("p", {"s"}, 20 * 1024), 60000).ok());
  }
  ASSERT_TRUE(backend.Put("large", Entry("p", {"s"}, 200 * 1024), 60000).ok());
  BackendStats stats = *backend.Stats();
  EXPECT_LE(stats.total.bytes, 300 * 1024);
  EXPECT_GE(stats.total.evictions, 5);
  EXPECT_NE(*backend.Get("large"), nullptr);
  // The most recent small ones survive, the oldest went first.
  EXPECT_EQ(*backend.Get("small0"), nullptr);
  EXPECT_NE(*backend.Get("small9"), nullptr);
  // Larger than the whole cache: not stored, nothing evicted for it.
  ASSERT_TRUE(backend.Put("huge", Entry("p", {"s"}, 400 * 1024), 60000).ok());
  EXPECT_EQ(*backend.Get("huge"), nullptr);
  EXPECT_NE(*backend.Get("large"), nullptr);
}

TEST(CacheMemoryBackend, EntriesPastTheirRetainTimeAreGone) {
  FakeClock clock;
  MemoryCacheBackend backend(1 << 20, clock.clock());
  ASSERT_TRUE(backend.Put("k", Entry("p", {"s"}, 10), 2000).ok());
  clock.now += 1999 * 1000;
  EXPECT_NE(*backend.Get("k"), nullptr);
  clock.now += 1000;
  EXPECT_EQ(*backend.Get("k"), nullptr);
  BackendStats stats = *backend.Stats();
  EXPECT_EQ(stats.total.entries, 0);
  EXPECT_EQ(stats.total.bytes, 0);
  // Expiry is not eviction.
  EXPECT_EQ(stats.total.evictions, 0);
}

TEST(CacheMemoryBackend, ClearsAllOneProjectOrOneSource) {
  MemoryCacheBackend backend(1 << 20);
  auto fill = [&] {
    ASSERT_TRUE(backend.Clear("", "").ok());
    ASSERT_TRUE(backend.Put("a1", Entry("a", {"pg"}, 10), 60000).ok());
    ASSERT_TRUE(backend.Put("a2", Entry("a", {"pg", "duck"}, 10), 60000).ok());
    ASSERT_TRUE(backend.Put("b1", Entry("b", {"pg"}, 10), 60000).ok());
    ASSERT_TRUE(backend.Put("b2", Entry("b", {"duck"}, 10), 60000).ok());
  };
  fill();
  EXPECT_EQ(*backend.Clear("a", ""), 2);
  EXPECT_EQ(*backend.Get("a1"), nullptr);
  EXPECT_NE(*backend.Get("b1"), nullptr);
  EXPECT_EQ(backend.Stats()->projects.count("a"), 0u);
  EXPECT_EQ(backend.Stats()->projects.at("b").entries, 2);
  fill();
  EXPECT_EQ(*backend.Clear("", "duck"), 2);
  EXPECT_NE(*backend.Get("a1"), nullptr);
  EXPECT_EQ(*backend.Get("a2"), nullptr);
  EXPECT_EQ(*backend.Get("b2"), nullptr);
  fill();
  EXPECT_EQ(*backend.Clear("b", "pg"), 1);
  EXPECT_EQ(*backend.Get("b1"), nullptr);
  EXPECT_NE(*backend.Get("a1"), nullptr);
  fill();
  EXPECT_EQ(*backend.Clear("", ""), 4);
  EXPECT_EQ(backend.Stats()->total.entries, 0);
  EXPECT_EQ(backend.Stats()->total.bytes, 0);
}

TEST(CacheEntry, TextFormRoundTrips) {
  CachedAnswer a = *Entry("proj-1", {"pg", "duck"}, 5);
  a.stored_at_us = 1795266000123456;
  a.ttl_ms = 60000;
  Result<CachedAnswer> b = CachedAnswer::Parse(a.Serialize());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->project, a.project);
  EXPECT_EQ(b->sources, a.sources);
  EXPECT_EQ(b->prefix, a.prefix);
  EXPECT_EQ(b->data_offset, 8u);
  EXPECT_EQ(b->data_size, 5u);
  EXPECT_EQ(b->stored_at_us, a.stored_at_us);
  EXPECT_EQ(b->ttl_ms, 60000);
  EXPECT_FALSE(CachedAnswer::Parse("something else").ok());
  EXPECT_FALSE(CachedAnswer::Parse("TRC1 1 2 3 999\np\ns\n{}").ok());
}

TEST(CacheKey, NormalisesParameterOrderAndSeparatesEverythingElse) {
  Config config;
  config.fingerprint = "f1";
  MetricCall call;
  call.pack = "web";
  call.metric = "kpis";
  call.params = {{"days", "7"}, {"merge", "none"}, {"source", "pg"}};
  const std::string key = ResultCache::Key(config, "a", call);
  MetricCall reordered = call;
  reordered.params = {{"source", "pg"}, {"days", "7"}, {"merge", "none"}};
  EXPECT_EQ(ResultCache::Key(config, "a", reordered), key);
  EXPECT_NE(ResultCache::Key(config, "b", call), key);
  MetricCall merged = call;
  merged.params = {{"days", "7"}, {"source", "pg"}};
  EXPECT_NE(ResultCache::Key(config, "a", merged), key);
  MetricCall other_source = call;
  other_source.params = {{"days", "7"}, {"merge", "none"}, {"source", "duck"}};
  EXPECT_NE(ResultCache::Key(config, "a", other_source), key);
  MetricCall other_metric = call;
  other_metric.metric = "sessions";
  EXPECT_NE(ResultCache::Key(config, "a", other_metric), key);
  Config reloaded = config;
  reloaded.fingerprint = "f2";
  EXPECT_NE(ResultCache::Key(reloaded, "a", call), key);
  // Fields cannot run into each other.
  MetricCall tricky = call;
  tricky.pack = "webk";
  tricky.metric = "pis";
  EXPECT_NE(ResultCache::Key(config, "a", tricky), key);
}

TEST(CacheKey, TtlOverridesResolveMostSpecificFirst) {
  ProjectConfig project;
  EXPECT_EQ(ResultCache::TtlSeconds(project, "llm", "realtime_kpi", 60), 60);
  project.cache.ttl_seconds["default"] = 120;
  EXPECT_EQ(ResultCache::TtlSeconds(project, "llm", "realtime_kpi", 60), 120);
  project.cache.ttl_seconds["realtime_kpi"] = 30;
  EXPECT_EQ(ResultCache::TtlSeconds(project, "llm", "realtime_kpi", 60), 30);
  project.cache.ttl_seconds["llm.realtime_kpi"] = 10;
  EXPECT_EQ(ResultCache::TtlSeconds(project, "llm", "realtime_kpi", 60), 10);
  EXPECT_EQ(ResultCache::TtlSeconds(project, "web", "kpis", 300), 120);
}

TEST(CacheControl, RecognisesNoCacheMaxAgeZeroAndNoStore) {
  EXPECT_FALSE(ParseCacheControl("").no_cache);
  EXPECT_TRUE(ParseCacheControl("no-cache").no_cache);
  EXPECT_TRUE(ParseCacheControl("No-Cache").no_cache);
  EXPECT_TRUE(ParseCacheControl("private, max-age=0").no_cache);
  EXPECT_FALSE(ParseCacheControl("max-age=60").no_cache);
  EXPECT_TRUE(ParseCacheControl("no-store").no_store);
  EXPECT_FALSE(ParseCacheControl("no-store").no_cache);
}

const char* kSources = "sources:\n  demo: {type: duckdb, path: demo.duckdb}\n";

std::string LoadError(const std::string& text) {
  Result<Config> config = LoadConfigText(text, "cfg.yaml", ".");
  return config.ok() ? "(loaded)" : std::string(config.status().message());
}

TEST(CacheConfig, SectionsAreReadAndPartOfTheFingerprint) {
  Result<Config> plain = LoadConfigText(std::string(kSources), "cfg.yaml", ".");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_TRUE(plain->cache.enabled);
  EXPECT_EQ(plain->cache.backend, "memory");
  EXPECT_EQ(plain->cache.max_bytes, 256LL << 20);
  const std::string text = std::string(kSources) +
                           "cache: {max_bytes: 2097152, stale_while_revalidate: false}\n"
                           "projects:\n"
                           "  p:\n"
                           "    sources: [demo]\n"
                           "    cache: {ttl_seconds: {realtime_kpi: 30, default: 120}}\n";
  Result<Config> config = LoadConfigText(text, "cfg.yaml", ".");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->cache.max_bytes, 2097152);
  EXPECT_FALSE(config->cache.stale_while_revalidate);
  EXPECT_EQ(config->projects[0].cache.ttl_seconds.at("realtime_kpi"), 30);
  EXPECT_EQ(config->projects[0].cache.ttl_seconds.at("default"), 120);
  // Rendered, and read back to the same config.
  const std::string rendered = RenderConfig(*config);
  EXPECT_NE(rendered.find("max_bytes: 2097152"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("realtime_kpi: 30"), std::string::npos) << rendered;
  Result<Config> again = LoadConfigText(rendered, "cfg.yaml", ".");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->fingerprint, config->fingerprint);
  // A changed TTL is a changed config.
  std::string changed = text;
  changed.replace(changed.find("30"), 2, "31");
  EXPECT_NE(LoadConfigText(changed, "cfg.yaml", ".")->fingerprint, config->fingerprint);
}

TEST(CacheConfig, MistakesAreReportedWhereTheyAre) {
  EXPECT_EQ(LoadError(std::string(kSources) + "cache:\n  max_byts: 10\n"),
            "cfg.yaml:4:3: cache.max_byts: unknown key; did you mean 'max_bytes'? allowed keys: "
            "enabled, backend, max_bytes, stale_while_revalidate");
  EXPECT_EQ(LoadError(std::string(kSources) + "cache: {backend: memcached}\n"),
            "cfg.yaml:3:18: cache.backend: unknown cache backend 'memcached'; use one of: "
            "memory, redis");
  EXPECT_EQ(LoadError(std::string(kSources) + "cache: {max_bytes: 1000}\n")
                .rfind("cfg.yaml:3:20: "
                       "cache.max_bytes: ",
                       0),
            0u)
      << LoadError(std::string(kSources) + "cache: {max_bytes: 1000}\n");
  EXPECT_EQ(LoadError(std::string(kSources) +
                      "projects:\n  p:\n    sources: [demo]\n    cache: {ttl: 3}\n"),
            "cfg.yaml:6:13: projects.p.cache.ttl: unknown key; allowed keys: enabled, "
            "ttl_seconds");
  EXPECT_NE(LoadError(std::string(kSources) + "projects:\n  p:\n    sources: [demo]\n    "
                                              "cache: {ttl_seconds: {default: -1}}\n")
                .rfind("cfg.yaml:6:37: projects.p.cache.ttl_seconds.default: ", 0),
            0u)
      << LoadError(
             std::string(kSources) +
             "projects:\n  p:\n    sources: [demo]\n    cache: {ttl_seconds: {default: -1}}\n");
}

TEST(CacheConfig, TtlOverridesMustNameAMetricOfAPack) {
  Result<Config> config = LoadConfigText(std::string(kSources) +
                                             "projects:\n  p:\n    sources: [demo]\n"
                                             "    cache:\n      ttl_seconds:\n"
                                             "        realtime_kp: 5\n",
                                         "cfg.yaml", ".");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  Result<std::shared_ptr<const PackCatalog>> packs = PackCatalog::LoadEmbedded();
  ASSERT_TRUE(packs.ok());
  Status st = CheckCacheSettings(*config, **packs);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cfg.yaml:8:9: projects.p.cache.ttl_seconds.realtime_kp: no pack "
                              "has a metric 'realtime_kp'; did you mean 'realtime_kpi'?"),
            std::string::npos)
      << st.message();
  config->projects[0].cache.ttl_seconds = {{"llm.realtime_kpi", 5}, {"default", 9}};
  EXPECT_TRUE(CheckCacheSettings(*config, **packs).ok());
}

}  // namespace
}  // namespace tributary
