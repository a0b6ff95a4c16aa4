#!/usr/bin/env bash
# shellcheck disable=SC2153  # TRIB_TEST_* come from the test servers' env file, sourced below
# Connector read benchmark: ours against each engine's own client, measured in one run.
#
# Usage: run-bench.sh BUILD_DIR      (`make bench` builds first and calls this)
#
# 1. Prepares `bench_rows` (1M rows: i int, b bigint, d double, t text, dt date, ts timestamp)
#    in every engine it can reach: a DuckDB file (written by the benchmark binary), a SQLite
#    file (sqlite3), and the test servers (psql, mariadb, clickhouse-client) started by
#    scripts/test-servers.sh. A table that already holds 1M rows is reused.
# 2. Times the engine's own client reading all rows into a file (median of TRIB_BENCH_RUNS,
#    default 3): psql -At, mariadb -B, sqlite3 -json, clickhouse-client FORMAT JSONEachRow.
#    DuckDB has no CLI here; its baseline is BM_DuckDbCApi, the C API reading the same rows
#    without any conversion.
# 3. Runs build/connectors_bench (Execute into the result model, then ResultToJson; median of
#    3) and prints ours, theirs and ours/theirs per engine.
# An engine whose client, server or connector is missing is skipped with a message.
# 4. Metric packs on DuckDB: build/packs_bench writes TRIB_BENCH_PACKS_ROWS rows of llm_logs
#    (default 10M; the file is reused) and times every llm metric through the runner and the
#    same SQL on the DuckDB C API (median of TRIB_BENCH_PACKS_REPS, default 5); prints both and
#    runner/C API per metric.
# 5. Cached metric over HTTP: scripts/bench-http.sh (wrk, 64 connections) against nginx serving
#    the same JSON body as a static file; prints both and the throughput ratio.
set -euo pipefail

script_path=$(readlink -f "${BASH_SOURCE[0]}")
repo_root=$(dirname "$(dirname "$script_path")")
build=${1:-build}
[[ "$build" = /* ]] || build="$repo_root/$build"
bench="$build/connectors_bench"
runs=${TRIB_BENCH_RUNS:-3}
rows=1000000
data="$build/bench-data"
mkdir -p "$data"
chmod 700 "$data"

log() { echo "run-bench: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

[[ -x "$bench" ]] || die "$bench not found: build it with \`make bench\` (or cmake --build $build)"
have python3 || die "python3 is needed to read the benchmark's JSON"

select_sql="SELECT i, b, d, t, dt, ts FROM bench_rows"
# Results of the engines' own clients, milliseconds by engine, and how they were measured.
declare -A theirs_ms theirs_how

# median_ms CMD...: runs CMD $runs times (output discarded by CMD itself), prints the median
# wall time in milliseconds; fails when CMD fails.
median_ms() {
  local times=() start end
  for ((r = 0; r < runs; r++)); do
    start=$(date +%s%N)
    "$@" || return 1
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# ------------------------------------------------------------------ servers (optional)
export TRIB_TEST_SERVERS_DIR=${TRIB_TEST_SERVERS_DIR:-$build/test-servers}
servers_script="$repo_root/scripts/test-servers.sh"
if [[ -f "$servers_script" ]]; then
  bash "$servers_script" start || log "test servers did not all start; those are skipped"
else
  log "scripts/test-servers.sh not found: server engines are skipped"
fi
if [[ -f "$TRIB_TEST_SERVERS_DIR/env" ]]; then
  # shellcheck disable=SC1091
  source "$TRIB_TEST_SERVERS_DIR/env"
fi

# ------------------------------------------------------------------ duckdb
duckdb_file="$data/bench.duckdb"
if [[ ! -s "$duckdb_file" ]]; then
  log "duckdb: writing $rows rows to $duckdb_file"
  "$bench" --prepare-duckdb="$duckdb_file" || die "cannot prepare $duckdb_file"
fi
export TRIB_BENCH_DUCKDB_PATH=$duckdb_file
theirs_how[duckdb]="DuckDB C API, no conversion (BM_DuckDbCApi)"

# ------------------------------------------------------------------ sqlite
sqlite_file="$data/bench.sqlite"
if have sqlite3; then
  if [[ "$(sqlite3 "$sqlite_file" 'SELECT count(*) FROM bench_rows' 2>/dev/null)" != "$rows" ]]; then
    log "sqlite: writing $rows rows to $sqlite_file"
    rm -f "$sqlite_file"
    sqlite3 "$sqlite_file" "CREATE TABLE bench_rows (i INTEGER, b BIGINT, d DOUBLE, t TEXT,
        dt DATE, ts TIMESTAMP);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $rows)
      INSERT INTO bench_rows SELECT x, x * 1000003, x * 0.5, 'row-' || x,
        date('2000-01-01', '+' || (x % 10000) || ' days'),
        datetime('2020-01-01', '+' || x || ' seconds') FROM c;"
  fi
  export TRIB_BENCH_SQLITE_PATH=$sqlite_file
  sqlite_read() { sqlite3 -json "$sqlite_file" "$select_sql" >"$data/out.sqlite.json"; }
  if ms=$(median_ms sqlite_read); then
    theirs_ms[sqlite]=$ms
    theirs_how[sqlite]="sqlite3 -json"
  fi
else
  log "sqlite: sqlite3 not installed; skipped"
fi

# ------------------------------------------------------------------ postgres
if [[ -n "${TRIB_TEST_PG_HOST:-}" ]] && have psql; then
  pg() {
    PGPASSWORD=$TRIB_TEST_PG_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h "$TRIB_TEST_PG_HOST" \
      -p "$TRIB_TEST_PG_PORT" -U "$TRIB_TEST_PG_USER" -d "$TRIB_TEST_PG_DB" "$@"
  }
  if [[ "$(pg -At -c 'SELECT count(*) FROM bench_rows' 2>/dev/null)" != "$rows" ]]; then
    log "postgres: writing $rows rows"
    pg -c "DROP TABLE IF EXISTS bench_rows" -c "CREATE TABLE bench_rows AS
      SELECT g::integer AS i, g::bigint * 1000003 AS b, g * 0.5::float8 AS d,
        'row-' || g AS t, DATE '2000-01-01' + (g % 10000) AS dt,
        TIMESTAMP '2020-01-01' + g * INTERVAL '1 second' AS ts
      FROM generate_series(1, $rows) AS g" -c "ANALYZE bench_rows" ||
      log "postgres: cannot create bench_rows"
  fi
  pg_read() { pg -At -c "$select_sql" -o "$data/out.pg.txt"; }
  if ms=$(median_ms pg_read); then
    theirs_ms[postgres]=$ms
    theirs_how[postgres]="psql -At"
  else
    log "postgres: psql could not read bench_rows"
  fi
else
  log "postgres: TRIB_TEST_PG_HOST unset or psql missing; skipped"
fi

# ------------------------------------------------------------------ mariadb (type mysql)
if [[ -n "${TRIB_TEST_MARIADB_HOST:-}" ]] && have mariadb; then
  my() {
    MYSQL_PWD=$TRIB_TEST_MARIADB_PASSWORD mariadb --no-defaults -h "$TRIB_TEST_MARIADB_HOST" \
      -P "$TRIB_TEST_MARIADB_PORT" -u "$TRIB_TEST_MARIADB_USER" -D "$TRIB_TEST_MARIADB_DB" "$@"
  }
  if [[ "$(my -N -B -e 'SELECT count(*) FROM bench_rows' 2>/dev/null)" != "$rows" ]]; then
    log "mariadb: writing $rows rows"
    my -e "DROP TABLE IF EXISTS bench_rows;
      CREATE TABLE bench_rows (i INT, b BIGINT, d DOUBLE, t VARCHAR(32), dt DATE,
        ts DATETIME(6));
      INSERT INTO bench_rows SELECT seq, seq * 1000003, seq * 0.5, CONCAT('row-', seq),
        DATE '2000-01-01' + INTERVAL (seq % 10000) DAY,
        TIMESTAMP '2020-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_$rows;" ||
      log "mariadb: cannot create bench_rows"
  fi
  my_read() { my -B -e "$select_sql" >"$data/out.mariadb.tsv"; }
  if ms=$(median_ms my_read); then
    theirs_ms[mysql]=$ms
    theirs_how[mysql]="mariadb -B -e"
  else
    log "mariadb: the client could not read bench_rows"
  fi
else
  log "mariadb: TRIB_TEST_MARIADB_HOST unset or mariadb client missing; skipped"
fi

# ------------------------------------------------------------------ clickhouse
if [[ -n "${TRIB_TEST_CLICKHOUSE_URL:-}" ]] && have clickhouse-client; then
  ch_host=$(sed -E 's#^[a-z]+://([^:/]+).*#\1#' <<<"$TRIB_TEST_CLICKHOUSE_URL")
  ch_port=${TRIB_TEST_CLICKHOUSE_TCP_PORT:-${TRIB_TEST_SERVERS_CLICKHOUSE_TCP_PORT:-59000}}
  # The password goes in a private client config, not on the command line (visible in ps).
  ch_config="$data/clickhouse-client.xml"
  (
    umask 077
    printf '<config><user>%s</user><password>%s</password></config>\n' \
      "$TRIB_TEST_CLICKHOUSE_USER" "$TRIB_TEST_CLICKHOUSE_PASSWORD" >"$ch_config"
  )
  ch() {
    clickhouse-client --config-file "$ch_config" --host "$ch_host" --port "$ch_port" \
      --database "$TRIB_TEST_CLICKHOUSE_DB" "$@"
  }
  if [[ "$(ch --query 'SELECT count() FROM bench_rows' 2>/dev/null)" != "$rows" ]]; then
    log "clickhouse: writing $rows rows"
    { ch --query "DROP TABLE IF EXISTS bench_rows" &&
      ch --query "CREATE TABLE bench_rows (i Int32, b Int64, d Float64, t String, dt Date,
          ts DateTime) ENGINE = MergeTree ORDER BY i" &&
      ch --query "INSERT INTO bench_rows SELECT toInt32(number + 1),
          toInt64(number + 1) * 1000003, (number + 1) * 0.5, concat('row-', toString(number + 1)),
          toDate('2000-01-01') + ((number + 1) % 10000),
          toDateTime('2020-01-01 00:00:00') + (number + 1) FROM system.numbers LIMIT $rows"; } ||
      log "clickhouse: cannot create bench_rows"
  fi
  ch_read() { ch --query "$select_sql FORMAT JSONEachRow" >"$data/out.clickhouse.json"; }
  if ms=$(median_ms ch_read); then
    theirs_ms[clickhouse]=$ms
    theirs_how[clickhouse]="clickhouse-client FORMAT JSONEachRow"
  else
    log "clickhouse: clickhouse-client could not read bench_rows (native port $ch_port)"
  fi
else
  log "clickhouse: TRIB_TEST_CLICKHOUSE_URL unset or clickhouse-client missing; skipped"
fi
rm -f "$data"/out.*

# ------------------------------------------------------------------ ours
log "running $bench"
"$bench" --benchmark_out="$data/bench.json" --benchmark_out_format=json

# ------------------------------------------------------------------ table
theirs_file="$data/theirs.tsv"
: >"$theirs_file"
for engine in "${!theirs_how[@]}"; do
  printf '%s\t%s\t%s\n' "$engine" "${theirs_ms[$engine]:-}" "${theirs_how[$engine]}" \
    >>"$theirs_file"
done
python3 - "$data/bench.json" "$theirs_file" <<'EOF'
import json, sys

with open(sys.argv[1]) as f:
    report = json.load(f)
medians = {}
for b in report.get("benchmarks", []):
    if b.get("aggregate_name") != "median" or b.get("error_occurred"):
        continue
    factor = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    # run_name is e.g. "BM_Connector/duckdb/iterations:1/repeats:3/real_time".
    name = "/".join(p for p in b["run_name"].split("/")
                    if not p.startswith(("iterations:", "repeats:", "real_time")))
    medians[name] = (b["real_time"] * factor, b)
theirs = {}
with open(sys.argv[2]) as f:
    for line in f:
        engine, ms, how = line.rstrip("\n").split("\t")
        theirs[engine] = (float(ms) if ms else None, how)
if "BM_DuckDbCApi" in medians:
    theirs["duckdb"] = (medians["BM_DuckDbCApi"][0], theirs.get("duckdb", (None, ""))[1])

print()
print("bench_rows: 1,000,000 rows x (int, bigint, double, text, date, timestamp); median times")
print(f"{'engine':<11} {'ours ms':>9} {'execute':>9} {'json':>7} {'theirs ms':>10} {'ours/theirs':>12}  theirs")
engines = sorted(set(theirs) | {name.split("/", 1)[1] for name in medians if name.startswith("BM_Connector/")})
for engine in engines:
    ours = medians.get("BM_Connector/" + engine)
    their_ms, how = theirs.get(engine, (None, "-"))
    ours_ms = f"{ours[0]:.0f}" if ours else "-"
    execute = f"{ours[1].get('execute_ms', 0):.0f}" if ours else "-"
    json_ms = f"{ours[1].get('json_ms', 0):.0f}" if ours else "-"
    their_text = f"{their_ms:.0f}" if their_ms is not None else "-"
    ratio = f"{ours[0] / their_ms:.2f}" if ours and their_ms else "-"
    print(f"{engine:<11} {ours_ms:>9} {execute:>9} {json_ms:>7} {their_text:>10} {ratio:>12}  {how}")
print()
print("ours = Execute into the result model + ResultToJson; a '-' means that side did not run")
print("(see the messages above).")
EOF

# ------------------------------------------------------------------ metric packs (DuckDB)
packs_bench="$build/packs_bench"
packs_rows=${TRIB_BENCH_PACKS_ROWS:-10000000}
if [[ -x "$packs_bench" ]]; then
  packs_file="$data/packs-llm-$packs_rows.duckdb"
  if [[ ! -s "$packs_file" ]]; then
    log "packs: writing $packs_rows rows of llm_logs to $packs_file"
    "$packs_bench" --prepare-duckdb="$packs_file" --rows="$packs_rows" ||
      die "cannot prepare $packs_file"
  fi
  # The machine may be shared: the load before and after tells how much the timings can be trusted.
  log "running $packs_bench (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  TRIB_BENCH_PACKS_PATH=$packs_file "$packs_bench" --benchmark_out="$data/packs.json" \
    --benchmark_out_format=json
  python3 - "$data/packs.json" "$packs_rows" <<'EOF'
import json, sys

with open(sys.argv[1]) as f:
    report = json.load(f)
# (kind, metric) -> {"p50": ms, "p95": ms}; kind is BM_Runner or BM_CApi.
stats = {}
repetitions = {}
for b in report.get("benchmarks", []):
    name = b.get("aggregate_name")
    if name not in ("p50", "p95") or b.get("error_occurred"):
        continue
    factor = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    # run_name is e.g. "BM_Runner/tenant_usage/iterations:1/repeats:20/real_time".
    kind, metric = b["run_name"].split("/")[:2]
    stats.setdefault((kind, metric), {})[name] = b["real_time"] * factor
    repetitions[(kind, metric)] = b.get("repetitions", 0)


def cell(value):
    return f"{value:.1f}" if value is not None else "-"


def ratio(ours, theirs):
    return f"{ours / theirs:.2f}" if ours and theirs else "-"


runs = sorted(set(repetitions.values()))
print()
print(f"llm pack on DuckDB, {int(sys.argv[2]):,} rows of llm_logs; "
      f"{'/'.join(map(str, runs)) or '?'} runs per metric and side")
print(f"{'metric':<18} {'runner p50':>10} {'p95':>7} {'C API p50':>10} {'p95':>7} "
      f"{'ratio p50':>9} {'p95':>6}")
for metric in sorted({m for _, m in stats}):
    ours = stats.get(("BM_Runner", metric), {})
    theirs = stats.get(("BM_CApi", metric), {})
    print(f"{metric:<18} {cell(ours.get('p50')):>10} {cell(ours.get('p95')):>7} "
          f"{cell(theirs.get('p50')):>10} {cell(theirs.get('p95')):>7} "
          f"{ratio(ours.get('p50'), theirs.get('p50')):>9} "
          f"{ratio(ours.get('p95'), theirs.get('p95')):>6}")
print()
print("ms, nearest-rank percentiles. runner = RunMetric (binding check, SQL template, connector,")
print("result JSON); C API = the same SQL and parameters prepared and fetched on the DuckDB C API")
print("without conversion; ratio = runner / C API.")
with open("/proc/loadavg") as f:
    print("load average after the run:", " ".join(f.read().split()[:3]))
EOF
else
  log "packs: $packs_bench not built; skipped"
fi

# ------------------------------------------------------------------ cached metric over HTTP
# 5. wrk (64 connections) against `tributary serve` answering a cached metric and against nginx
#    serving the same body as a static file (scripts/bench-http.sh).
if command -v wrk >/dev/null && { command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; }; then
  bash "$repo_root/scripts/bench-http.sh" "$build"
else
  log "http: wrk or nginx missing (scripts/install-deps.sh installs them); skipped"
fi
