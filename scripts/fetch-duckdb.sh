#!/usr/bin/env bash
# Fetches DuckDB's C header and shared library from the npm registry, pinned by version and
# checked against the sha512 integrity recorded here, into a git-ignored folder.
# Usage: fetch-duckdb.sh DEST_DIR   (creates DEST_DIR/include/duckdb.h and DEST_DIR/lib/libduckdb.so)
set -euo pipefail

dest=${1:?usage: fetch-duckdb.sh DEST_DIR}
header_pkg=duckdb@1.4.4
header_sha512=hEJJ5hyVF0VLj3dmOLpsWrQR0b3d4Ykqtygm6iUXjHJDDnSqg/USKxcb5qvNrOhFYPgktayU6dXCtgPqcmmpog==
lib_pkg=@duckdb/node-bindings-linux-x64@1.4.4-r.4
lib_sha512=jBTL/WvfwxLToFa/pVHfT6elMtltJGnc3wSuxZD9OfMltit9YUdVFS37vBFQzXMT1Z8OWjtSjMh+zPKxOwHLHA==
stamp="$dest/.stamp-1.4.4-r.4"

if [[ -f "$stamp" && -f "$dest/include/duckdb.h" && -f "$dest/lib/libduckdb.so" ]]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # package expected-sha512 -> prints the tarball path
  local pkg=$1 want=$2 file got
  file=$(cd "$work" && npm pack --silent "$pkg" 2>/dev/null | tail -n 1)
  got=$(openssl dgst -sha512 -binary "$work/$file" | base64 -w0)
  if [[ "$got" != "$want" ]]; then
    echo "fetch-duckdb: integrity mismatch for $pkg: expected sha512-$want, got sha512-$got" >&2
    exit 1
  fi
  echo "$work/$file"
}

header_tgz=$(fetch "$header_pkg" "$header_sha512")
lib_tgz=$(fetch "$lib_pkg" "$lib_sha512")

mkdir -p "$dest/include" "$dest/lib"
tar -xzf "$header_tgz" -C "$work" package/src/duckdb/src/include/duckdb.h
cp "$work/package/src/duckdb/src/include/duckdb.h" "$dest/include/duckdb.h"
rm -rf "$work/package"
tar -xzf "$lib_tgz" -C "$work" package/libduckdb.so
cp "$work/package/libduckdb.so" "$dest/lib/libduckdb.so"
touch "$stamp"
echo "fetch-duckdb: DuckDB 1.4.4 in $dest"
