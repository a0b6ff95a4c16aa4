#!/usr/bin/env bash
# File import benchmark (issue 8): DuckDB's own CSV -> Parquet COPY against `tributary import`
# on the same generated CSV, in one run; prints the times, the server's peak RSS and a
# PASS/FAIL line per target (see bench/import_bench.cpp).
#
# Usage: bench/import_bench.sh [BUILD_DIR] [import_bench options...]
#        (`make bench-import` builds tributary and import_bench first and calls this)
# Environment: TRIB_BENCH_IMPORT_GIB (CSV size, default 5), TRIB_BENCH_IMPORT_DIR (scratch
# folder, default BUILD_DIR/bench-data/import). Options: --baseline-only, --keep-csv (reuse the
# CSV next time), --size-gib G, --dir DIR.
set -euo pipefail

script_path=$(readlink -f "${BASH_SOURCE[0]}")
repo_root=$(dirname "$(dirname "$script_path")")
build=${1:-build}
[[ $# -gt 0 ]] && shift
[[ "$build" = /* ]] || build="$repo_root/$build"
bench="$build/import_bench"
[[ -x "$bench" ]] || {
  echo "import_bench.sh: $bench not found: run \`make bench-import\`" >&2
  exit 2
}
dir=${TRIB_BENCH_IMPORT_DIR:-$build/bench-data/import}
mkdir -p "$dir"
chmod 700 "$dir"
echo "import_bench.sh: load average $(cut -d' ' -f1-3 /proc/loadavg); df:" >&2
df -h "$dir" >&2
exec "$bench" --binary "$build/tributary" --dir "$dir" --size-gib "${TRIB_BENCH_IMPORT_GIB:-5}" "$@"
