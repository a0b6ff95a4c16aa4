#!/usr/bin/env bash
# Starts and stops the database servers the integration tests run against: PostgreSQL 15,
# MariaDB 10.11, ClickHouse 18.16, Redis 7 and Prometheus 2.42, each on a non-default loopback
# port, with data, logs, sockets and generated credentials under one folder, and no systemd.
#
# Usage: test-servers.sh start | stop | status | restart pg|mariadb|clickhouse|redis|prometheus
#
#   start    starts every server that is not running yet (idempotent) and writes
#            $DIR/env with the TRIB_TEST_* variables the tests read (`source` it).
#   stop     stops every server, also a half-started one: a graceful stop, then a kill.
#   restart  stops and starts one engine keeping its data and credentials (restart tests).
#   status   prints which servers are running.
#
# DIR is ${TRIB_TEST_SERVERS_DIR:-build/test-servers} (relative to the repository root).
# Ports: PostgreSQL 55432, MariaDB 53306, ClickHouse HTTP 58123 and native 59000, Redis 56379,
# Prometheus 59090; override with
# TRIB_TEST_SERVERS_{PG,MARIADB,CLICKHOUSE_HTTP,CLICKHOUSE_TCP,REDIS,PROMETHEUS}_PORT. The env file
# records them, so a `restart` run from a test that sourced it keeps the same ports.
# Passwords are random (openssl rand -hex) at the first start and reused afterwards.
#
# Prometheus scrapes every second: itself, and every target listed in
# $DIR/prometheus/targets/*.json (file_sd_configs, re-read every second). A test registers a
# `tributary serve` it started by writing such a file with a job label of its own, and removes
# it afterwards. The web API asks for HTTP basic authentication (user `tributary`, a generated
# password, a bcrypt hash in $DIR/prometheus/web.yml).
set -euo pipefail

script_path=$(readlink -f "${BASH_SOURCE[0]}")
repo_root=$(dirname "$(dirname "$script_path")")
dir=${TRIB_TEST_SERVERS_DIR:-build/test-servers}
[[ "$dir" = /* ]] || dir="$repo_root/$dir"
mkdir -p "$dir"
dir=$(readlink -f "$dir")

pg_port=${TRIB_TEST_SERVERS_PG_PORT:-55432}
mariadb_port=${TRIB_TEST_SERVERS_MARIADB_PORT:-53306}
ch_http_port=${TRIB_TEST_SERVERS_CLICKHOUSE_HTTP_PORT:-58123}
ch_tcp_port=${TRIB_TEST_SERVERS_CLICKHOUSE_TCP_PORT:-59000}
redis_port=${TRIB_TEST_SERVERS_REDIS_PORT:-56379}
prom_port=${TRIB_TEST_SERVERS_PROMETHEUS_PORT:-59090}
pg_bin=/usr/lib/postgresql/15/bin
ready_cap_s=60
db_name=tributary
db_user=tributary

log() { echo "test-servers: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The secret of one engine: generated once, kept in $dir/<engine>.password (mode 600).
password_for() {
  local file="$dir/$1.password"
  if [[ ! -s "$file" ]]; then
    (umask 077 && openssl rand -hex 16 >"$file")
  fi
  cat "$file"
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
read_pid() { if [[ -s "$1" ]]; then head -n1 "$1"; fi; }

# Prints the last lines of a server log, to explain a failed start.
log_tail() {
  if [[ -f "$1" ]]; then
    log "last lines of $1:"
    tail -n 30 "$1" >&2 || true
  fi
}

# wait_ready NAME LOGFILE PID CHECK...: runs CHECK until it succeeds, the server process
# dies, or the cap passes.
wait_ready() {
  local name=$1 logfile=$2 pid=$3
  shift 3
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      log_tail "$logfile"
      die "$name exited during start-up (see $logfile)"
    fi
    if ((SECONDS - start >= ready_cap_s)); then
      log_tail "$logfile"
      die "$name was not ready after ${ready_cap_s}s (see $logfile)"
    fi
    sleep 0.2
  done
}

# stop_pid NAME PID: SIGTERM, up to 20 s, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    pid_alive "$pid" || return 0
    sleep 0.2
  done
  log "$name (pid $pid) ignored SIGTERM; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 25); do
    pid_alive "$pid" || return 0
    sleep 0.2
  done
}

port_taken() {
  die "port $1 is taken by another process: stop it, or pick a free port with $2=..."
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- PostgreSQL
pg_root=$dir/pg
if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
  # A parent of DIR is closed to other users (e.g. a checkout under `mktemp -d`): PostgreSQL
  # runs as `postgres`, so it keeps its files in a directory of its own, named after DIR.
  pg_root=/var/tmp/tributary-test-pg-$(printf '%s' "$dir" | sha256sum | cut -c1-12)
fi
pg_data=$pg_root/data
pg_sock=$pg_root/socket
pg_log=$pg_root/server.log

# PostgreSQL refuses to run as root: as root it runs as `postgres`, otherwise as the caller.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# The superuser logs in through the socket with peer authentication: name it after the OS user.
if [[ $(id -u) -eq 0 ]]; then pg_super=postgres; else pg_super=$(id -un); fi
own_pg() { if [[ $(id -u) -eq 0 ]]; then chown postgres: "$@"; fi; }

pg_pid() { read_pid "$pg_data/postmaster.pid"; }
pg_running() { pid_alive "$(pg_pid)"; }
pg_psql() {
  as_pg "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_sock" -p "$pg_port" \
    -U "$pg_super" -d postgres "$@"
}

pg_start() {
  if pg_running; then return 0; fi
  local password
  password=$(password_for pg)
  mkdir -p "$pg_root"
  if [[ ! -s "$pg_data/PG_VERSION" ]]; then
    rm -rf "$pg_data"
    mkdir -p "$pg_data"
    own_pg "$pg_data"
    chmod 700 "$pg_data"
    # initdb refuses to run as root (see as_pg); the superuser only logs in through the socket.
    as_pg "$pg_bin/initdb" -D "$pg_data" -U "$pg_super" --auth-local=peer \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$pg_root/initdb.log" 2>&1 ||
      {
        log_tail "$pg_root/initdb.log"
        die "initdb failed (see $pg_root/initdb.log)"
      }
  fi
  mkdir -p "$pg_sock"
  own_pg "$pg_root" "$pg_sock"
  touch "$pg_log" && own_pg "$pg_log"
  port_in_use "$pg_port" && port_taken "$pg_port" TRIB_TEST_SERVERS_PG_PORT
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_log" -w -t "$ready_cap_s" \
    -o "-p $pg_port -k $pg_sock -c listen_addresses=127.0.0.1 -c fsync=off" start \
    </dev/null >/dev/null 2>&1 || {
    log_tail "$pg_log"
    die "PostgreSQL did not start (see $pg_log)"
  }
  wait_ready PostgreSQL "$pg_log" "$(pg_pid)" \
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"
  # Role and database: created once, the password re-applied each start (cheap, idempotent).
  pg_psql -v pw="$password" <<'SQL'
SELECT format('CREATE ROLE tributary LOGIN PASSWORD %L', :'pw')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tributary') \gexec
-- CREATEROLE: the import-target tests make their own loader and reader roles.
SELECT format('ALTER ROLE tributary LOGIN CREATEROLE PASSWORD %L', :'pw') \gexec
SELECT 'CREATE DATABASE tributary OWNER tributary'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'tributary') \gexec
SQL
}

pg_stop() {
  local pid
  pid=$(pg_pid)
  pid_alive "$pid" || return 0
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 20 stop \
    </dev/null >/dev/null 2>&1 || stop_pid PostgreSQL "$pid"
}

# ---------------------------------------------------------------- MariaDB
my_dir=$dir/mariadb
my_data=$my_dir/data
my_sock=$my_dir/mariadb.sock
my_pidfile=$my_dir/mariadbd.pid
my_log=$my_dir/server.log

# Our own pid file, written from $! at start (mariadbd writes its own only once it is up).
my_ownpid=$my_dir/server.pid
mariadb_running() { pid_alive "$(read_pid "$my_ownpid")"; }
# Runs the SQL on stdin as root, through the socket.
mariadb_root() {
  MYSQL_PWD=$(password_for mariadb-root) mariadb --no-defaults -uroot -S "$my_sock"
}

mariadb_start() {
  if mariadb_running; then return 0; fi
  local password root_password
  password=$(password_for mariadb)
  root_password=$(password_for mariadb-root)
  mkdir -p "$my_dir"
  if [[ ! -d "$my_data/mysql" ]]; then
    rm -rf "$my_data"
    mariadb-install-db --no-defaults --user=root --datadir="$my_data" \
      --auth-root-authentication-method=normal --skip-test-db >"$my_dir/install.log" 2>&1 || {
      log_tail "$my_dir/install.log"
      die "mariadb-install-db failed (see $my_dir/install.log)"
    }
  fi
  port_in_use "$mariadb_port" && port_taken "$mariadb_port" TRIB_TEST_SERVERS_MARIADB_PORT
  mariadbd --no-defaults --user=root --datadir="$my_data" --port="$mariadb_port" \
    --bind-address=127.0.0.1 --socket="$my_sock" --pid-file="$my_pidfile" \
    --log-error="$my_log" --skip-name-resolve --innodb-buffer-pool-size=64M \
    --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 --skip-log-bin \
    </dev/null >>"$my_log" 2>&1 &
  local pid=$!
  echo "$pid" >"$my_ownpid"
  if [[ ! -f "$my_dir/root-password-set" ]]; then
    # A fresh root has no password and only logs in through the socket; give it one.
    wait_ready MariaDB "$my_log" "$pid" mariadb-admin --no-defaults -uroot -S "$my_sock" ping
    mariadb --no-defaults -uroot -S "$my_sock" \
      -e "ALTER USER root@localhost IDENTIFIED BY '$root_password'"
    touch "$my_dir/root-password-set"
  fi
  wait_ready MariaDB "$my_log" "$pid" \
    env MYSQL_PWD="$root_password" mariadb-admin --no-defaults -uroot -S "$my_sock" ping
  mariadb_root <<SQL
CREATE DATABASE IF NOT EXISTS $db_name;
CREATE USER IF NOT EXISTS '$db_user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$db_user'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$db_user'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$db_user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON $db_name.* TO '$db_user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON $db_name.* TO '$db_user'@'localhost';
SQL
}

mariadb_stop() {
  local pid
  pid=$(read_pid "$my_ownpid")
  if pid_alive "$pid"; then stop_pid MariaDB "$pid"; fi
  rm -f "$my_ownpid"
}

# ---------------------------------------------------------------- ClickHouse
ch_dir=$dir/clickhouse
ch_pidfile=$ch_dir/clickhouse-server.pid
ch_log=$ch_dir/server.log

ch_ownpid=$ch_dir/server.pid
clickhouse_running() { pid_alive "$(read_pid "$ch_ownpid")"; }
ch_url() { echo "http://127.0.0.1:$ch_http_port"; }
ch_query() {
  curl -sS --fail-with-body --max-time 10 -u "$db_user:$(password_for clickhouse)" \
    --data-binary "$1" "$(ch_url)/"
}

clickhouse_write_config() {
  local password_sha reader_sha
  password_sha=$(printf '%s' "$(password_for clickhouse)" | sha256sum | cut -d' ' -f1)
  reader_sha=$(printf '%s' "$(password_for clickhouse_reader)" | sha256sum | cut -d' ' -f1)
  mkdir -p "$ch_dir"/{data,tmp,user_files,format_schemas}
  # Only the HTTP and native ports, on loopback; no interserver, MySQL or TLS listeners.
  cat >"$ch_dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$ch_log</log>
        <errorlog>$ch_dir/server.err.log</errorlog>
        <size>10M</size>
        <count>2</count>
    </logger>
    <http_port>$ch_http_port</http_port>
    <tcp_port>$ch_tcp_port</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>$ch_dir/data/</path>
    <tmp_path>$ch_dir/tmp/</tmp_path>
    <user_files_path>$ch_dir/user_files/</user_files_path>
    <format_schema_path>$ch_dir/format_schemas/</format_schema_path>
    <users_config>$ch_dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
XML
  (
    umask 077
    cat >"$ch_dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
        <reader>
            <readonly>2</readonly>
        </reader>
    </profiles>
    <users>
        <$db_user>
            <password_sha256_hex>$password_sha</password_sha256_hex>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </$db_user>
        <!-- A read-only user (settings may still be set per query), for the import-target
             tests: a source's own credentials beside the writer of its import_target. -->
        <${db_user}_reader>
            <password_sha256_hex>$reader_sha</password_sha256_hex>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>reader</profile>
            <quota>default</quota>
        </${db_user}_reader>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
  )
}

clickhouse_start() {
  if clickhouse_running; then return 0; fi
  clickhouse_write_config
  port_in_use "$ch_http_port" && port_taken "$ch_http_port" TRIB_TEST_SERVERS_CLICKHOUSE_HTTP_PORT
  port_in_use "$ch_tcp_port" && port_taken "$ch_tcp_port" TRIB_TEST_SERVERS_CLICKHOUSE_TCP_PORT
  rm -f "$ch_pidfile"
  # Run from the data folder: ClickHouse may write files relative to its working directory.
  (cd "$ch_dir" && exec clickhouse-server --config-file="$ch_dir/config.xml" \
    --pid-file="$ch_pidfile" </dev/null >>"$ch_dir/stdout.log" 2>&1) &
  local pid=$!
  echo "$pid" >"$ch_ownpid"
  wait_ready ClickHouse "$ch_log" "$pid" curl -sf --max-time 2 "$(ch_url)/ping"
  wait_ready ClickHouse "$ch_log" "$pid" ch_query "SELECT 1"
  ch_query "CREATE DATABASE IF NOT EXISTS $db_name" >/dev/null
}

clickhouse_stop() {
  local pid
  pid=$(read_pid "$ch_ownpid")
  if pid_alive "$pid"; then stop_pid ClickHouse "$pid"; fi
  rm -f "$ch_ownpid"
}

# ---------------------------------------------------------------- Redis
redis_dir=$dir/redis
redis_pidfile=$redis_dir/redis.pid
redis_log=$redis_dir/server.log

redis_running() { pid_alive "$(read_pid "$redis_pidfile")"; }
redis_cli() { REDISCLI_AUTH=$(password_for redis) redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }

redis_start() {
  if redis_running; then return 0; fi
  port_in_use "$redis_port" && port_taken "$redis_port" TRIB_TEST_SERVERS_REDIS_PORT
  mkdir -p "$redis_dir"
  (
    umask 077
    # No persistence: tests own their keys and a restart starts empty, like a cache should.
    cat >"$redis_dir/redis.conf" <<CONF
bind 127.0.0.1
port $redis_port
protected-mode yes
requirepass $(password_for redis)
dir $redis_dir
save ""
appendonly no
daemonize no
logfile $redis_log
maxmemory 512mb
maxmemory-policy allkeys-lru
CONF
  )
  redis-server "$redis_dir/redis.conf" </dev/null >>"$redis_log" 2>&1 &
  local pid=$!
  echo "$pid" >"$redis_pidfile"
  wait_ready Redis "$redis_log" "$pid" redis_cli ping
}

redis_stop() {
  local pid
  pid=$(read_pid "$redis_pidfile")
  if pid_alive "$pid"; then stop_pid Redis "$pid"; fi
  rm -f "$redis_pidfile"
}

# ---------------------------------------------------------------- Prometheus
prom_dir=$dir/prometheus
prom_log=$prom_dir/server.log
prom_pidfile=$prom_dir/server.pid

prometheus_running() { pid_alive "$(read_pid "$prom_pidfile")"; }
prom_url() { echo "http://127.0.0.1:$prom_port"; }
prom_ready() {
  curl -sf --max-time 2 -u "$db_user:$(password_for prometheus)" "$(prom_url)/-/ready"
}

prometheus_write_config() {
  local password hash
  password=$(password_for prometheus)
  mkdir -p "$prom_dir"/{data,targets}
  # The bcrypt hash of the generated password (cost 4: checked on every request; it only
  # guards a loopback test server). python3's crypt module wraps libcrypt's bcrypt on Debian 12.
  hash=$(PROM_PASSWORD=$password python3 -W ignore -c \
    'import crypt, os; print(crypt.crypt(os.environ["PROM_PASSWORD"], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))')
  # shellcheck disable=SC2016  # a literal "$2": bcrypt hashes start with it
  [[ "$hash" == '$2'* ]] || die "could not hash the Prometheus password with bcrypt (python3 crypt)"
  (
    umask 077
    printf '%s' "$password" >"$prom_dir/scrape.password"
    cat >"$prom_dir/web.yml" <<YAML
basic_auth_users:
  $db_user: '$hash'
YAML
  )
  cat >"$prom_dir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    basic_auth:
      username: $db_user
      password_file: $prom_dir/scrape.password
    static_configs:
      - targets: ['127.0.0.1:$prom_port']
  # Tests register the Tributary servers they start here, one file each, with a job label
  # of their own; the file's job label overrides this job name.
  - job_name: tributary
    file_sd_configs:
      - files: ['$prom_dir/targets/*.json']
        refresh_interval: 1s
YAML
}

prometheus_start() {
  if prometheus_running; then return 0; fi
  prometheus_write_config
  port_in_use "$prom_port" && port_taken "$prom_port" TRIB_TEST_SERVERS_PROMETHEUS_PORT
  prometheus --config.file="$prom_dir/prometheus.yml" --web.config.file="$prom_dir/web.yml" \
    --web.listen-address="127.0.0.1:$prom_port" --storage.tsdb.path="$prom_dir/data" \
    --storage.tsdb.retention.time=1d \
    </dev/null >>"$prom_log" 2>&1 &
  local pid=$!
  echo "$pid" >"$prom_pidfile"
  wait_ready Prometheus "$prom_log" "$pid" prom_ready
}

prometheus_stop() {
  local pid
  pid=$(read_pid "$prom_pidfile")
  if pid_alive "$pid"; then stop_pid Prometheus "$pid"; fi
  rm -f "$prom_pidfile"
}

# ---------------------------------------------------------------- env file and commands
write_env() {
  local tmp="$dir/env.tmp"
  (
    umask 077
    cat >"$tmp" <<ENV
# Written by scripts/test-servers.sh; \`source\` it before running the integration tests.
export TRIB_TEST_SERVERS_SCRIPT=$script_path
export TRIB_TEST_SERVERS_DIR=$dir
export TRIB_TEST_SERVERS_PG_PORT=$pg_port
export TRIB_TEST_SERVERS_MARIADB_PORT=$mariadb_port
export TRIB_TEST_SERVERS_CLICKHOUSE_HTTP_PORT=$ch_http_port
export TRIB_TEST_SERVERS_CLICKHOUSE_TCP_PORT=$ch_tcp_port
export TRIB_TEST_SERVERS_REDIS_PORT=$redis_port
export TRIB_TEST_PG_HOST=127.0.0.1
export TRIB_TEST_PG_PORT=$pg_port
export TRIB_TEST_PG_USER=$db_user
export TRIB_TEST_PG_PASSWORD=$(password_for pg)
export TRIB_TEST_PG_DB=$db_name
export TRIB_TEST_MARIADB_HOST=127.0.0.1
export TRIB_TEST_MARIADB_PORT=$mariadb_port
export TRIB_TEST_MARIADB_USER=$db_user
export TRIB_TEST_MARIADB_PASSWORD=$(password_for mariadb)
export TRIB_TEST_MARIADB_DB=$db_name
export TRIB_TEST_CLICKHOUSE_URL=$(ch_url)
export TRIB_TEST_CLICKHOUSE_USER=$db_user
export TRIB_TEST_CLICKHOUSE_PASSWORD=$(password_for clickhouse)
export TRIB_TEST_CLICKHOUSE_DB=$db_name
export TRIB_TEST_CLICKHOUSE_READER_USER=${db_user}_reader
export TRIB_TEST_CLICKHOUSE_READER_PASSWORD=$(password_for clickhouse_reader)
export TRIB_TEST_REDIS_HOST=127.0.0.1
export TRIB_TEST_REDIS_PORT=$redis_port
export TRIB_TEST_REDIS_PASSWORD=$(password_for redis)
export TRIB_TEST_SERVERS_PROMETHEUS_PORT=$prom_port
export TRIB_TEST_PROMETHEUS_URL=$(prom_url)
export TRIB_TEST_PROMETHEUS_USER=$db_user
export TRIB_TEST_PROMETHEUS_PASSWORD=$(password_for prometheus)
export TRIB_TEST_PROMETHEUS_TARGETS_DIR=$prom_dir/targets
ENV
  )
  mv "$tmp" "$dir/env"
}

engine_fn() {
  case "$1" in
    pg | postgres | postgresql) echo pg ;;
    mariadb | mysql) echo mariadb ;;
    clickhouse | ch) echo clickhouse ;;
    redis) echo redis ;;
    prometheus | prom) echo prometheus ;;
    *) die "unknown engine '$1' (expected pg, mariadb, clickhouse, redis or prometheus)" ;;
  esac
}

timed_start() {
  local t0=$EPOCHREALTIME
  "$1_start"
  log "$1 ready in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s"
}

stop_all() {
  # Each engine is stopped even when another one fails to stop.
  local rc=0
  pg_stop || rc=1
  mariadb_stop || rc=1
  clickhouse_stop || rc=1
  redis_stop || rc=1
  prometheus_stop || rc=1
  return $rc
}

cmd=${1:-}
case "$cmd" in
  start)
    # Independent engines: start them concurrently, then report every failure.
    pids=()
    for engine in pg mariadb clickhouse redis prometheus; do
      timed_start "$engine" &
      pids+=($!)
    done
    rc=0
    for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
    ((rc == 0)) || die "some servers did not start; run '$script_path stop' to clean up"
    write_env
    log "env written to $dir/env"
    ;;
  stop)
    stop_all
    ;;
  restart)
    [[ $# -eq 2 ]] || die "usage: $0 restart pg|mariadb|clickhouse|redis|prometheus"
    engine=$(engine_fn "$2")
    "${engine}_stop"
    timed_start "$engine"
    ;;
  status)
    for engine in pg mariadb clickhouse redis prometheus; do
      if "${engine}_running"; then echo "$engine: running"; else echo "$engine: stopped"; fi
    done
    ;;
  *)
    echo "usage: $0 start | stop | status | restart pg|mariadb|clickhouse|redis|prometheus" >&2
    exit 2
    ;;
esac
