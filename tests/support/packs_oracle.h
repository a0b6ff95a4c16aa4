// The oracle of the metric-pack equivalence suite: every metric of the `llm` and `web` packs
// computed in plain C++ over the generated rows (tests/support/packs_dataset.h), straight from
// the contract (shared/spec/metrics.md), sharing no code with the runner or any SQL. Its
// answer is the JSON of the API's `data` member, field for field.
//
// sample_logs also takes this project's filters (tenant, model, status, errorType, anomaly,
// search; an extension of the contract, docs/packs.md), applied before the paging.
//
// Windows are derived here from the parameters and asOf, as the spec states them: `start`/
// `end` inclusive UTC dates (or `days` when both are absent), `days=N` the N dates ending
// today, `hours=N` the N hours before now, a row in the window when from <= t < to.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/packs_dataset.h"

namespace tributary::packs_test {

using OracleParams = std::vector<std::pair<std::string, std::string>>;

//! A web dataset binding's settings: client_pattern and the ordered feature rules
//! (match regex, name).
struct WebSettings {
  std::string client_pattern = "^https://([^.]+)\\.8020rei\\.com";
  std::vector<std::pair<std::string, std::string>> features = {
      {"/home", "Home Dashboard"},
      {"/buybox/deals", "Buybox - Deals"},
      {"/buybox", "Buybox"},
      {"/properties", "Properties"},
      {"/importer", "Importer"},
      {"/integrations/api-tokens", "API Tokens"},
      {"/integrations", "Integrations"},
      {"/session/login", "Login"}};
};

//! The names of every metric of a pack ("llm": 11, "web": 7).
std::vector<std::string> OracleMetricNames(const std::string& pack);

//! The `data` JSON of `pack`/`metric` for `params` (the API's query parameters, asOf
//! included), or an error message (unknown metric, malformed parameter).
struct OracleAnswer {
  std::string json;
  std::string error;
};
OracleAnswer OracleData(const Dataset& data, const std::string& pack, const std::string& metric,
                        const OracleParams& params, const WebSettings& settings = WebSettings());

//! The window a metric reads for `params` (meta.asOf, meta.from, meta.to): no bounds for
//! sample_logs. Empty `error` when the parameters are well formed.
struct OracleWindow {
  int64_t now = 0;
  std::optional<int64_t> from, to;
  std::string error;
};
OracleWindow OracleWindowOf(const std::string& metric, const OracleParams& params);

//! UTC microseconds as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (the fraction only when non-zero).
std::string IsoTimestamp(int64_t micros);

}  // namespace tributary::packs_test
