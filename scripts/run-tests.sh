#!/usr/bin/env bash
# Runs every test of a build folder with ctest against freshly started test servers
# (scripts/test-servers.sh), prints ctest's summary and exits with ctest's code. The servers
# are stopped on exit, also when tests fail or the run is interrupted.
# Usage: run-tests.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
servers="$here/test-servers.sh"
export TRIB_TEST_SERVERS_DIR=${TRIB_TEST_SERVERS_DIR:-$(cd "$build" && pwd)/test-servers}

# shellcheck disable=SC2317  # called by the EXIT trap
stop_servers() { "$servers" stop || echo "run-tests: could not stop every test server" >&2; }
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$servers" start
# shellcheck disable=SC1091
source "$TRIB_TEST_SERVERS_DIR/env"

cd "$build"
rc=0
ctest --output-on-failure --timeout 600 -j 2 || rc=$?
exit "$rc"
