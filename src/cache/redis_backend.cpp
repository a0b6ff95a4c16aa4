#include "cache/redis_backend.h"

#include <algorithm>
#include <charconv>

namespace tributary {

namespace {

//! A field of INFO's "name:value" lines, or "".
std::string InfoField(const std::string& info, std::string_view name) {
  std::string needle = "\n";
  needle.append(name);
  needle += ':';
  size_t at = ("\n" + info).find(needle);
  if (at == std::string::npos) return "";
  size_t start = at + needle.size() - 1;
  size_t end = info.find_first_of("\r\n", start);
  return info.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

int64_t ToInt(const std::string& text) {
  int64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

}  // namespace

RedisCacheBackend::RedisCacheBackend(std::shared_ptr<RedisClient> redis, CacheClock clock)
    : redis_(std::move(redis)), clock_(std::move(clock)) {}

std::string RedisCacheBackend::EntryKey(const std::string& key) const {
  return redis_->Key("cache:e:" + key);
}

std::string RedisCacheBackend::Index(std::string_view kind, std::string_view name) const {
  std::string k = "cache:idx:";
  k.append(kind);
  if (!name.empty()) {
    k += ':';
    k.append(name);
  }
  return redis_->Key(k);
}

Result<std::shared_ptr<const CachedAnswer>> RedisCacheBackend::Get(const std::string& key) {
  TRIB_ASSIGN_OR_RETURN(RedisReply reply, redis_->Command({"GET", EntryKey(key)}));
  if (reply.type != RedisReply::Type::kString) return std::shared_ptr<const CachedAnswer>();
  Result<CachedAnswer> parsed = CachedAnswer::Parse(reply.text);
  // Something else under our key is a miss; the next store replaces it.
  if (!parsed.ok()) return std::shared_ptr<const CachedAnswer>();
  return std::shared_ptr<const CachedAnswer>(
      std::make_shared<CachedAnswer>(std::move(parsed).value()));
}

Status RedisCacheBackend::Put(const std::string& key, std::shared_ptr<const CachedAnswer> entry,
                              int64_t retain_ms) {
  const std::string entry_key = EntryKey(key);
  const std::string expires = std::to_string(clock_() / 1000 + retain_ms);
  const std::string retain = std::to_string(retain_ms);
  std::vector<std::string> indexes = {Index("all", ""), Index("p", entry->project)};
  for (const auto& s : entry->sources) indexes.push_back(Index("s", s));
  std::vector<std::vector<std::string>> commands;
  commands.push_back({"SET", entry_key, entry->Serialize(), "PX", retain});
  for (const auto& index : indexes) {
    commands.push_back({"ZADD", index, expires, entry_key});
    // An index outlives its newest entry by nothing: it expires with it at the latest.
    commands.push_back({"PEXPIRE", index, retain, "GT"});
    commands.push_back({"PEXPIRE", index, retain, "NX"});
  }
  TRIB_ASSIGN_OR_RETURN(std::vector<Result<RedisReply>> replies, redis_->Pipeline(commands));
  if (!replies.front().ok()) return replies.front().status();
  return Status::Ok();
}

Result<std::vector<std::string>> RedisCacheBackend::IndexKeys(std::string_view pattern) const {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    TRIB_ASSIGN_OR_RETURN(RedisReply reply,
                          redis_->Command({"SCAN", cursor, "MATCH", redis_->Key(pattern), "COUNT",
                                           "1000", "TYPE", "zset"}));
    if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 2) {
      return Internal("redis: unexpected SCAN reply");
    }
    cursor = reply.elements[0].text;
    for (const auto& k : reply.elements[1].elements) keys.push_back(k.text);
  } while (cursor != "0");
  return keys;
}

Result<int64_t> RedisCacheBackend::Clear(std::string_view project, std::string_view source) {
  // The entries to remove, from the narrowest index.
  std::vector<std::string> members;
  if (!project.empty() && !source.empty()) {
    TRIB_ASSIGN_OR_RETURN(RedisReply reply, redis_->Command({"ZINTER", "2", Index("p", project),
                                                             Index("s", source)}));
    for (const auto& m : reply.elements) members.push_back(m.text);
  } else {
    const std::string index = !project.empty()  ? Index("p", project)
                              : !source.empty() ? Index("s", source)
                                                : Index("all", "");
    TRIB_ASSIGN_OR_RETURN(RedisReply reply, redis_->Command({"ZRANGE", index, "0", "-1"}));
    for (const auto& m : reply.elements) members.push_back(m.text);
  }
  if (members.empty()) return int64_t{0};
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> indexes, IndexKeys("cache:idx:*"));
  int64_t cleared = 0;
  constexpr size_t kBatch = 500;
  for (size_t i = 0; i < members.size(); i += kBatch) {
    const size_t end = std::min(members.size(), i + kBatch);
    std::vector<std::vector<std::string>> commands;
    std::vector<std::string> del = {"DEL"};
    del.insert(del.end(), members.begin() + i, members.begin() + end);
    commands.push_back(std::move(del));
    for (const auto& index : indexes) {
      std::vector<std::string> zrem = {"ZREM", index};
      zrem.insert(zrem.end(), members.begin() + i, members.begin() + end);
      commands.push_back(std::move(zrem));
    }
    TRIB_ASSIGN_OR_RETURN(std::vector<Result<RedisReply>> replies, redis_->Pipeline(commands));
    if (!replies.front().ok()) return replies.front().status();
    // Entries already expired are not counted: they were gone.
    cleared += replies.front()->integer;
  }
  return cleared;
}

Result<BackendStats> RedisCacheBackend::Stats() {
  BackendStats stats;
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> projects, IndexKeys("cache:idx:p:*"));
  const std::string now = std::to_string(clock_() / 1000);
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> counted = {Index("all", "")};
  counted.insert(counted.end(), projects.begin(), projects.end());
  for (const auto& index : counted) {
    commands.push_back({"ZREMRANGEBYSCORE", index, "-inf", "(" + now});
    commands.push_back({"ZCARD", index});
  }
  commands.push_back({"INFO", "memory"});
  commands.push_back({"INFO", "stats"});
  TRIB_ASSIGN_OR_RETURN(std::vector<Result<RedisReply>> replies, redis_->Pipeline(commands));
  auto count = [&](size_t i) { return replies[2 * i + 1].ok() ? replies[2 * i + 1]->integer : 0; };
  stats.total.entries = count(0);
  const std::string project_prefix = Index("p", "") + ":";
  for (size_t i = 0; i < projects.size(); ++i) {
    CacheCounts c;
    c.entries = count(i + 1);
    if (c.entries > 0) stats.projects[projects[i].substr(project_prefix.size())] = c;
  }
  const std::string memory =
      replies[replies.size() - 2].ok() ? replies[replies.size() - 2]->text : "";
  const std::string info = replies.back().ok() ? replies.back()->text : "";
  stats.total.bytes = ToInt(InfoField(memory, "used_memory"));
  stats.max_bytes = ToInt(InfoField(memory, "maxmemory"));
  stats.total.evictions = ToInt(InfoField(info, "evicted_keys"));
  stats.details["usedMemory"] = InfoField(memory, "used_memory");
  stats.details["maxMemory"] = InfoField(memory, "maxmemory");
  stats.details["maxMemoryPolicy"] = InfoField(memory, "maxmemory_policy");
  stats.details["evictedKeys"] = InfoField(info, "evicted_keys");
  stats.details["expiredKeys"] = InfoField(info, "expired_keys");
  stats.details["keyPrefix"] = redis_->config().key_prefix;
  return stats;
}

Status RedisCacheBackend::Health() {
  Status last = redis_->last_error();
  if (last.ok()) return last;
  if (!redis_->available()) return last;
  return redis_->Ping();
}

}  // namespace tributary
