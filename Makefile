# The whole set-up: `make run` and `make test` install what is missing, build and run.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= 2
DUCKDB_DIR := .deps/duckdb
CMAKE_FLAGS ?=
FORMAT_FILES = $(shell git ls-files -co --exclude-standard -- '*.cpp' '*.h' | grep -v '^web/')

.PHONY: all deps build web run test test-asan format format-check bench bench-import clean

all: build

deps:
	@bash scripts/install-deps.sh
	@bash scripts/fetch-duckdb.sh $(DUCKDB_DIR)

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	@bash scripts/build-web.sh

# The dashboard alone (web/dist), e.g. after editing web/src.
web: deps
	@bash scripts/build-web.sh

run: build
	./$(BUILD)/tributary serve

test: deps format-check build
	bash scripts/run-tests.sh $(BUILD)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRIB_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	@bash scripts/build-web.sh
	bash scripts/run-tests.sh $(ASAN_BUILD)

# C++ with clang-format, the dashboard (TypeScript, CSS, tests) with Prettier.
format:
	clang-format -i $(FORMAT_FILES)
	@bash scripts/build-web.sh --install-only
	npm --prefix web run --silent format

format-check: deps
	@clang-format --dry-run --Werror $(FORMAT_FILES)
	@bash scripts/build-web.sh --install-only
	@npm --prefix web run --silent format:check
	@echo "format-check: ok"

bench: build
	bash scripts/run-bench.sh $(BUILD)

# File import (issue 8): a 5 GiB CSV through `tributary import` against DuckDB's own COPY
# (docs/import.md, Benchmark). TRIB_BENCH_IMPORT_GIB sets the size. Not part of `make test`.
bench-import: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target tributary import_bench
	bash bench/import_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
