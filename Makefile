# Thin wrapper over CMake presets. `make run` and `make test` work on a fresh Debian 12 machine:
# they install what is missing, configure, build, then launch the app / run the whole suite.
PRESET ?= dev
BUILD_DIR = $(if $(filter dev,$(PRESET)),build,build-$(PRESET))

.PHONY: all deps configure build run test test-asan test-tsan bench package format lint format-check tidy clean

all: build

deps:
	@installer/install-deps.sh

# Configured again when the presets change, so a build directory gets a preset's new settings.
$(BUILD_DIR)/CMakeCache.txt: CMakePresets.json
	cmake --preset $(PRESET)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build --preset $(PRESET)

run: build
	./build/app/threadlab

test: build
	ctest --preset $(PRESET)

test-asan:
	$(MAKE) test PRESET=asan

test-tsan:
	$(MAKE) test PRESET=tsan

# .deb and .tar.gz in build-release/ (the release preset builds no tests).
package: deps
	cmake --preset release
	cmake --build --preset release
	cd build-release && cpack

bench: build
	@for b in build/tests/bench/bench_*; do $$b --benchmark_counters_tabular=true; done

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

# What CI checks besides the suites: formatting, a build without warnings (the dev preset makes a warning an
# error), and clang-tidy over every source of core/ and app/ with .clang-tidy's checks as errors.
lint: format-check build tidy

format-check: deps
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.h')

# Every source of core/ and app/ by default; TIDY_FILES (a regular expression) narrows it, e.g. to the files
# you changed: make tidy TIDY_FILES='core/run/.*'
TIDY_FILES ?= (core|app)/.*
tidy: build
	run-clang-tidy -p $(BUILD_DIR) -j 2 -quiet '^$(CURDIR)/$(TIDY_FILES)\.cpp$$'

clean:
	rm -rf build build-release build-asan build-tsan
