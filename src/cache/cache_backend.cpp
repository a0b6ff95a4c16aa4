#include "cache/cache_backend.h"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace tributary {

namespace {

// Per entry beyond its text: list node, hash bucket, shared_ptr control block, strings.
constexpr int64_t kEntryOverhead = 256;
constexpr std::string_view kMagic = "TRC1";

bool ReadInt(std::string_view& text, char end, int64_t& out) {
  size_t stop = text.find(end);
  if (stop == std::string_view::npos) return false;
  auto [ptr, error] = std::from_chars(text.data(), text.data() + stop, out);
  if (error != std::errc() || ptr != text.data() + stop) return false;
  text.remove_prefix(stop + 1);
  return true;
}

}  // namespace

CacheClock SystemCacheClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

size_t CachedAnswer::bytes() const {
  size_t n = sizeof(CachedAnswer) + project.size() + prefix.size();
  for (const auto& s : sources) n += s.size() + sizeof(std::string);
  return n;
}

std::string CachedAnswer::Serialize() const {
  // TRC1 stored_at ttl data_offset data_size\nproject\nsource,source\nprefix
  std::string out(kMagic);
  out += ' ';
  out += std::to_string(stored_at_us);
  out += ' ';
  out += std::to_string(ttl_ms);
  out += ' ';
  out += std::to_string(data_offset);
  out += ' ';
  out += std::to_string(data_size);
  out += '\n';
  out += project;
  out += '\n';
  for (size_t i = 0; i < sources.size(); ++i) {
    if (i) out += ',';
    out += sources[i];
  }
  out += '\n';
  out += prefix;
  return out;
}

Result<CachedAnswer> CachedAnswer::Parse(std::string_view text) {
  const Status bad = Internal(
      "a cached entry is not in the format this Tributary writes (another version or another "
      "program wrote the key); clear the cache with POST /api/v1/cache/clear");
  if (text.substr(0, kMagic.size() + 1) != std::string(kMagic) + " ") return bad;
  text.remove_prefix(kMagic.size() + 1);
  CachedAnswer a;
  int64_t offset = 0, size = 0;
  if (!ReadInt(text, ' ', a.stored_at_us) || !ReadInt(text, ' ', a.ttl_ms) ||
      !ReadInt(text, ' ', offset) || !ReadInt(text, '\n', size)) {
    return bad;
  }
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return bad;
  a.project = std::string(text.substr(0, nl));
  text.remove_prefix(nl + 1);
  nl = text.find('\n');
  if (nl == std::string_view::npos) return bad;
  std::string_view sources = text.substr(0, nl);
  while (!sources.empty()) {
    size_t comma = sources.find(',');
    a.sources.emplace_back(sources.substr(0, comma));
    if (comma == std::string_view::npos) break;
    sources.remove_prefix(comma + 1);
  }
  text.remove_prefix(nl + 1);
  a.prefix = std::string(text);
  if (offset < 0 || size < 0 || static_cast<size_t>(offset + size) > a.prefix.size()) return bad;
  a.data_offset = static_cast<size_t>(offset);
  a.data_size = static_cast<size_t>(size);
  return a;
}

MemoryCacheBackend::MemoryCacheBackend(int64_t max_bytes, CacheClock clock)
    : max_bytes_(max_bytes), clock_(std::move(clock)) {}

void MemoryCacheBackend::EraseLocked(List::iterator it, bool evicted) {
  CacheCounts& project = projects_[it->entry->project];
  project.entries -= 1;
  project.bytes -= it->bytes;
  total_.entries -= 1;
  total_.bytes -= it->bytes;
  if (evicted) {
    project.evictions += 1;
    total_.evictions += 1;
  }
  index_.erase(it->key);
  lru_.erase(it);
}

Result<std::shared_ptr<const CachedAnswer>> MemoryCacheBackend::Get(const std::string& key) {
  const int64_t now = clock_();
  std::lock_guard lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) return std::shared_ptr<const CachedAnswer>();
  List::iterator it = found->second;
  if (now >= it->retain_until_us) {
    EraseLocked(it, /*evicted=*/false);
    return std::shared_ptr<const CachedAnswer>();
  }
  lru_.splice(lru_.begin(), lru_, it);
  return it->entry;
}

Status MemoryCacheBackend::Put(const std::string& key, std::shared_ptr<const CachedAnswer> entry,
                               int64_t retain_ms) {
  const int64_t bytes = static_cast<int64_t>(entry->bytes() + key.size()) + kEntryOverhead;
  const int64_t now = clock_();
  std::lock_guard lock(mu_);
  if (auto found = index_.find(key); found != index_.end()) EraseLocked(found->second, false);
  // An answer larger than the whole cache would only evict everything and then itself.
  if (bytes > max_bytes_) return Status::Ok();
  // Dead entries go first, then the least recently used.
  if (total_.bytes + bytes > max_bytes_) {
    for (auto it = lru_.begin(); it != lru_.end();) {
      auto next = std::next(it);
      if (now >= it->retain_until_us) EraseLocked(it, false);
      it = next;
    }
  }
  while (total_.bytes + bytes > max_bytes_ && !lru_.empty()) {
    EraseLocked(std::prev(lru_.end()), /*evicted=*/true);
  }
  CacheCounts& project = projects_[entry->project];
  project.entries += 1;
  project.bytes += bytes;
  total_.entries += 1;
  total_.bytes += bytes;
  lru_.push_front(Node{key, std::move(entry), now + retain_ms * 1000, bytes});
  index_[key] = lru_.begin();
  return Status::Ok();
}

Result<int64_t> MemoryCacheBackend::Clear(std::string_view project, std::string_view source) {
  std::lock_guard lock(mu_);
  int64_t cleared = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    const CachedAnswer& e = *it->entry;
    bool match = project.empty() || e.project == project;
    if (match && !source.empty()) {
      match = std::find(e.sources.begin(), e.sources.end(), source) != e.sources.end();
    }
    if (match) {
      EraseLocked(it, false);
      ++cleared;
    }
    it = next;
  }
  return cleared;
}

Result<BackendStats> MemoryCacheBackend::Stats() {
  std::lock_guard lock(mu_);
  BackendStats stats;
  stats.total = total_;
  stats.max_bytes = max_bytes_;
  for (const auto& [name, counts] : projects_) {
    if (counts.entries || counts.evictions) stats.projects[name] = counts;
  }
  return stats;
}

}  // namespace tributary
