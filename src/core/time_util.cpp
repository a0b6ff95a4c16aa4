#include "core/time_util.h"

#include <charconv>
#include <cstdio>

namespace tributary {

namespace {

// Howard Hinnant's civil calendar algorithms (public domain description), which handle the
// whole int64 range of days without the limits of std::chrono::year.
struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {m <= 2 ? y + 1 : y, m, d};
}

bool IsLeap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool ParseDigits(std::string_view text, size_t pos, size_t count, int64_t& out) {
  if (pos + count > text.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string FormatDate(int64_t days) {
  Civil c = CivilFromDays(days);
  char buf[32];
  if (c.year >= 0 && c.year <= 9999) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month,
                  c.day);
  } else {
    std::snprintf(buf, sizeof buf, "%+05lld-%02u-%02u", static_cast<long long>(c.year), c.month,
                  c.day);
  }
  return buf;
}

std::string FormatTimestamp(int64_t micros) {
  constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
  int64_t days = FloorDiv(micros, kMicrosPerDay);
  // Computed from the remainder, not micros - days * kMicrosPerDay, which overflows near
  // INT64_MIN (DuckDB's -infinity).
  int64_t rem = micros % kMicrosPerDay;
  if (rem < 0) rem += kMicrosPerDay;
  int64_t secs = rem / 1000000;
  int64_t frac = rem % 1000000;
  std::string out = FormatDate(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "T%02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  out += buf;
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out += buf;
  }
  out += 'Z';
  return out;
}

std::optional<int64_t> ParseDate(std::string_view text) {
  int64_t y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!ParseDigits(text, 0, 4, y) || !ParseDigits(text, 5, 2, m) || !ParseDigits(text, 8, 2, d)) {
    return std::nullopt;
  }
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, static_cast<unsigned>(m))) {
    return std::nullopt;
  }
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  auto date = ParseDate(text.substr(0, std::min<size_t>(10, text.size())));
  if (!date) return std::nullopt;
  int64_t micros = *date * 86400LL * 1000000;
  if (text.size() == 10) return micros;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  int64_t hh = 0, mm = 0, ss = 0;
  size_t pos = 11;
  if (!ParseDigits(text, pos, 2, hh) || pos + 2 >= text.size() || text[pos + 2] != ':' ||
      !ParseDigits(text, pos + 3, 2, mm)) {
    return std::nullopt;
  }
  pos += 5;
  if (pos < text.size() && text[pos] == ':') {
    if (!ParseDigits(text, pos + 1, 2, ss)) return std::nullopt;
    pos += 3;
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  int64_t frac = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) frac = frac * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t i = digits; i < 6; ++i) frac *= 10;
  }
  micros += ((hh * 60 + mm) * 60 + ss) * 1000000 + frac;
  if (pos == text.size()) return micros;
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) return micros;
  if (text[pos] == '+' || text[pos] == '-') {
    int64_t oh = 0, om = 0;
    if (!ParseDigits(text, pos + 1, 2, oh)) return std::nullopt;
    size_t after = pos + 3;
    if (after < text.size() && text[after] == ':') ++after;
    if (after < text.size()) {
      if (!ParseDigits(text, after, 2, om)) return std::nullopt;
      after += 2;
    }
    if (after != text.size() || oh > 23 || om > 59) return std::nullopt;
    int64_t offset = (oh * 60 + om) * 60 * 1000000;
    return text[pos] == '+' ? micros - offset : micros + offset;
  }
  return std::nullopt;
}

}  // namespace tributary
