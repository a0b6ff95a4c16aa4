// The connector registry: type string -> factory. Adding a connector is one folder under
// src/connectors/ and one line in registry.cpp.
// Thread-safety: the registry is built once on first use and read-only afterwards.
#pragma once

#include <string_view>
#include <vector>

#include "connectors/connector.h"

namespace tributary {

//! The factory for a type, or nullptr.
const ConnectorFactory* FindConnector(std::string_view type);
//! Every registered factory, sorted by type.
const std::vector<ConnectorFactory>& AllConnectors();

}  // namespace tributary
