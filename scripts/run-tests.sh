#!/usr/bin/env bash
# Runs every test of a build folder with ctest and prints ctest's summary.
# Usage: run-tests.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
cd "$build"
ctest --output-on-failure --timeout 600 -j 2
