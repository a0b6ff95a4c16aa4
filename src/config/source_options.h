// Validation of one source's options against its connector's OptionSchema (internal to
// src/config; exposed so tests can check schemas no built-in connector has, e.g. secrets).
// Thread-safety: pure function of its arguments.
#pragma once

#include <vector>

#include "common/status.h"
#include "config/options.h"
#include "config/yaml_reader.h"
#include "connectors/connector.h"

namespace tributary::config_internal {

//! Checks the fields of a source mapping (every key but `type`, which the caller has read)
//! against `factory.schema`: unknown options, wrong types, out-of-range integers and missing
//! required options are errors. Entries keep their location and the schema's secret flag.
//! `source` is the source's mapping, used to place "missing option" errors.
Result<Options> ParseSourceOptions(const YamlReader& reader, const std::vector<Field>& fields,
                                   const ConnectorFactory& factory, const Field& source);

}  // namespace tributary::config_internal
