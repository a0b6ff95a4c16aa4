// The ClickHouse import target, over the HTTP interface (18.16 or newer) with the
// import_target's credentials on the source's server (its url or host/port/https,
// connect_timeout_ms, tls_verify and tls_ca_file options, read as the connector reads them):
//   CREATE TABLE `db`.`table` (`c` Nullable(T), ...) ENGINE = MergeTree ORDER BY tuple()
// then one `INSERT INTO `db`.`table` (...) FORMAT TabSeparated` POST per batch (on one
// keep-alive connection). ClickHouse has no transactions: Abort, a failed batch and a cancel
// DROP the table, so a failed import leaves nothing. `db` is import_target.schema, else the
// source's `database` option, else the writer's default database.
// Values are converted for 18.16: "true"/"false" -> 1/0 for UInt8 booleans, ISO timestamps
// to 'YYYY-MM-DD hh:mm:ss' (DateTime holds whole seconds: a fraction is dropped); a date or
// timestamp outside what Date / DateTime hold (1970..2105 / 1970..2106-02-07) is
// INVALID_ARGUMENT naming the row and column (import that column as VARCHAR instead).
// Thread-safety: see TargetLoader.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "importer/targets/target_loader.h"

namespace tributary::importer {

//! Opens a ClickHouse load (see OpenTargetLoader; `source.type` is "clickhouse").
Result<std::unique_ptr<TargetLoader>> OpenClickHouseTarget(const SourceConfig& source,
                                                           const std::string& table,
                                                           const std::vector<ColumnSpec>& columns,
                                                           const CancelToken& cancel);

//! `name` as a ClickHouse quoted identifier: `name` with '`' and '\' backslash-escaped.
std::string QuoteClickHouseIdentifier(std::string_view name);

}  // namespace tributary::importer
