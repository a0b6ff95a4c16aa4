#!/usr/bin/env bash
# Cached metric throughput: Tributary answering a cached metric against nginx serving the same
# JSON body as a static file, both measured with wrk (64 connections) in one run, one after
# the other, on the same machine.
#
# Usage: bench-http.sh BUILD_DIR      (`make bench` runs it as its last section)
#
# Environment: TRIB_BENCH_HTTP_SECONDS (default 10) per measurement, TRIB_BENCH_HTTP_CONNECTIONS
# (default 64), TRIB_BENCH_HTTP_THREADS (wrk threads, default 2), TRIB_BENCH_HTTP_PATH (default
# the llm pack's tenant_usage over the demo's last 7 days).
# Both servers run on loopback ports chosen here; everything lives in a temporary folder that is
# removed at the end. nginx runs as the caller with its own config (no system nginx involved).
set -euo pipefail

script_path=$(readlink -f "${BASH_SOURCE[0]}")
repo_root=$(dirname "$(dirname "$script_path")")
build=${1:-build}
[[ "$build" = /* ]] || build="$repo_root/$build"
binary="$build/tributary"
seconds=${TRIB_BENCH_HTTP_SECONDS:-10}
connections=${TRIB_BENCH_HTTP_CONNECTIONS:-64}
threads=${TRIB_BENCH_HTTP_THREADS:-2}

log() { echo "bench-http: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
command -v wrk >/dev/null || die "wrk is not installed (scripts/install-deps.sh installs it)"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x "$nginx_bin" ]] || die "nginx is not installed (scripts/install-deps.sh installs nginx-light)"
[[ -x "$binary" ]] || die "$binary not found: build first (make build)"

work=$(mktemp -d)
# nginx workers run as an unprivileged user when started as root: they must read the body.
chmod 755 "$work"
trib_pid=""
nginx_pid=""
cleanup() {
  [[ -n "$trib_pid" ]] && kill "$trib_pid" 2>/dev/null && wait "$trib_pid" 2>/dev/null
  [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ------------------------------------------------------------------ Tributary on the demo
trib_port=$(free_port)
(cd "$work" && exec "$binary" serve --listen "127.0.0.1:$trib_port" --data-dir "$work/data" \
  >"$work/tributary.log" 2>&1) &
trib_pid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$trib_port/readyz" >/dev/null 2>&1 && break
  kill -0 "$trib_pid" 2>/dev/null || die "tributary exited: $(tail -n 20 "$work/tributary.log")"
  sleep 0.1
done
curl -sf "http://127.0.0.1:$trib_port/readyz" >/dev/null || die "tributary was not ready in 30 s"

path=${TRIB_BENCH_HTTP_PATH:-/api/v1/projects/demo/metrics/llm/tenant_usage?days=7}
trib_url="http://127.0.0.1:$trib_port$path"
# The first request fills the cache; the body of a second one (a hit) is what nginx serves.
curl -sf "$trib_url" >/dev/null || die "GET $trib_url failed"
curl -sf -D "$work/headers" -o "$work/body.json" "$trib_url" || die "GET $trib_url failed"
grep -q '"cached":true' "$work/body.json" ||
  log "warning: the second answer is not a cache hit (meta.cached is not true)"
body_bytes=$(stat -c %s "$work/body.json")

# ------------------------------------------------------------------ nginx, same body
nginx_port=$(free_port)
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
cp "$work/body.json" "$work/nginx/www/body.json"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  types { application/json json; }
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/www;
  }
}
CONF
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>"$work/nginx/stderr" &
nginx_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$nginx_port/body.json" >/dev/null 2>&1 && break
  kill -0 "$nginx_pid" 2>/dev/null || die "nginx exited: $(cat "$work/nginx/stderr")"
  sleep 0.1
done
cmp -s <(curl -sf "http://127.0.0.1:$nginx_port/body.json") "$work/body.json" ||
  die "nginx does not serve the same body"

# ------------------------------------------------------------------ measure
run_wrk() {
  wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$1"
}
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
log "wrk against nginx (static file, $body_bytes bytes)"
run_wrk "http://127.0.0.1:$nginx_port/body.json" >"$work/wrk-nginx.txt"
log "wrk against tributary ($path)"
run_wrk "$trib_url" >"$work/wrk-tributary.txt"
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work/wrk-nginx.txt" "$work/wrk-tributary.txt" "$path" "$body_bytes" "$connections" \
  "$seconds" <<'EOF'
import re, sys


def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_errors = re.search(r"Socket errors:.*", text)
    lat = {}
    for pct in ("50%", "90%", "99%"):
        m = re.search(r"^\s+" + re.escape(pct) + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if m:
            lat[pct] = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    return rps, lat, int(errors.group(1)) if errors else 0, socket_errors.group(0) if socket_errors else ""


nginx = parse(sys.argv[1])
trib = parse(sys.argv[2])
print()
print(f"cached metric {sys.argv[3]}: {int(sys.argv[4]):,}-byte JSON body, "
      f"wrk {sys.argv[5]} connections, {sys.argv[6]} s each, one run")
print(f"{'server':<11} {'req/s':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
for name, (rps, lat, errors, sock) in (("nginx", nginx), ("tributary", trib)):
    print(f"{name:<11} {rps:>10.0f} {lat.get('50%', 0):>8.2f} {lat.get('90%', 0):>8.2f} "
          f"{lat.get('99%', 0):>8.2f} {errors:>8}  {sock}")
ratio = trib[0] / nginx[0] if nginx[0] else 0
print(f"tributary/nginx throughput ratio: {ratio:.2f} (target >= 0.5)")
EOF
