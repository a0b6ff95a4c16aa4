// UTC calendar conversions shared by every connector and by the API's JSON encoding.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary {

//! "YYYY-MM-DD" for days since 1970-01-01 (proleptic Gregorian, negative years allowed).
std::string FormatDate(int64_t days_since_epoch);
//! "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"; the fraction is written only when it is not zero.
std::string FormatTimestamp(int64_t micros_since_epoch);
//! Parses "YYYY-MM-DD"; nullopt when malformed or not a real calendar date.
std::optional<int64_t> ParseDate(std::string_view text);
//! Parses "YYYY-MM-DD[T| ]HH:MM[:SS[.f{1,9}]][Z|+HH:MM|-HH:MM]" into UTC micros (no zone
//! means UTC). A bare date is midnight UTC. nullopt when malformed.
std::optional<int64_t> ParseTimestamp(std::string_view text);
//! Days since the epoch for a civil date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace tributary
