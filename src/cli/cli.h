// The `tributary` command line: serve, query, metric, import, sources, check-config,
// demo-data, hash-key, version.
// Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
#pragma once

namespace tributary {

int RunCli(int argc, char** argv);

}  // namespace tributary
