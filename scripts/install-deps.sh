#!/usr/bin/env bash
# Installs every Debian package the build, the tests and `make run` need, and only the
# missing ones, so a second run costs a few dpkg look-ups. Safe to run with no terminal.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format clang-tidy ca-certificates
  nodejs npm
  # libraries
  libboost1.81-dev libboost-json1.81-dev rapidjson-dev libsimdjson-dev libyaml-cpp-dev
  libcli11-dev libspdlog-dev libfmt-dev libssl-dev prometheus-cpp-dev
  libpq-dev libmariadb-dev libsqlite3-dev libpcre2-dev libcurl4-openssl-dev libhiredis-dev zlib1g-dev
  libzip-dev libexpat1-dev
  # test servers and the engines' own clients (started by scripts/test-servers.sh)
  postgresql-15 postgresql-client-15 mariadb-server mariadb-client clickhouse-server
  clickhouse-client sqlite3 openssl redis-server prometheus
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev curl python3 wrk nginx-light
  # the dashboard's browser tests (driven by npm playwright-core)
  chromium
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
# The image may ship Node.js outside Debian's packaging; a working node and npm are enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for pkg in "${missing[@]}"; do
    [[ "$pkg" == nodejs || "$pkg" == npm ]] || filtered+=("$pkg")
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Server packages (PostgreSQL, MariaDB, Redis, nginx, ...) start a system service on install;
# the tests start their own instances on other ports (scripts/test-servers.sh), so a policy
# that refuses service starts is put in place for the install when the machine has none.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]+"${sudo_cmd[@]}"}" tee "$policy" >/dev/null
  "${sudo_cmd[@]+"${sudo_cmd[@]}"}" chmod 755 "$policy"
  own_policy=1
  trap '"${sudo_cmd[@]+"${sudo_cmd[@]}"}" rm -f "$policy"' EXIT
fi
"${sudo_cmd[@]+"${sudo_cmd[@]}"}" apt-get update -qq
"${sudo_cmd[@]+"${sudo_cmd[@]}"}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
if ((own_policy)); then
  "${sudo_cmd[@]+"${sudo_cmd[@]}"}" rm -f "$policy"
  trap - EXIT
fi
