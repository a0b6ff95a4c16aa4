#!/usr/bin/env bash
# Builds the web dashboard (web/ -> web/dist) that `tributary serve` serves. Installs the npm
# packages from web/package-lock.json (and tests/mcp_sdk/package-lock.json, the MCP tests' SDK
# client) when they are missing or the lock file changed, and rebuilds only when a source is
# newer than the last build, so a second `make build` costs a few file look-ups. Everything comes from the npm registry: nothing is fetched at run time.
# Usage: build-web.sh [--force | --install-only]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
web="$here/../web"
cd "$web"

if ! command -v npm >/dev/null; then
  echo "build-web: npm is missing; run scripts/install-deps.sh (make deps) first" >&2
  exit 1
fi

# Vite 7 needs Node.js 20.19 or newer (Debian 12's own nodejs package is 18).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "build-web: Node.js $(node --version) is too old for the dashboard's build (Vite 7 needs 20.19 or newer);" \
    "install a newer Node.js and run make build again" >&2
  exit 1
fi

# npm ci in a folder when its node_modules is absent or older than the lock file it was
# installed from.
npm_ci_if_stale() {
  if [[ ! -f $1/node_modules/.package-lock.json || $1/package-lock.json -nt $1/node_modules/.package-lock.json ]]; then
    echo "build-web: installing npm packages in ${1#"$here/../"} (npm ci)"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  fi
}
npm_ci_if_stale "$web"
# The MCP tests' client: the official MCP TypeScript SDK (tests/mcp_sdk, ctest mcp.sdk.*).
npm_ci_if_stale "$here/../tests/mcp_sdk"

[[ "${1:-}" == --install-only ]] && exit 0

stamp=dist/index.html
if [[ "${1:-}" != --force && -f $stamp ]] &&
  [[ -z $(find src public index.html package.json package-lock.json tsconfig.json vite.config.ts \
    -newer "$stamp" -print -quit 2>/dev/null) ]]; then
  exit 0
fi
echo "build-web: building the dashboard (web/dist)"
npm run --silent build </dev/null
