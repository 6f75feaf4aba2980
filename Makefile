# Thin wrapper over CMake presets. `make run` and `make test` work on a fresh Debian 12 machine:
# they install what is missing, configure, build, then launch the app / run the whole suite.
PRESET ?= dev
BUILD_DIR = $(if $(filter dev,$(PRESET)),build,build-$(PRESET))

.PHONY: all deps configure build run test test-asan test-tsan bench package format clean

all: build

deps:
	@installer/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
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

clean:
	rm -rf build build-release build-asan build-tsan
