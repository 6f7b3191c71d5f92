# Makefile: a thin wrapper over scripts/install-deps.sh, CMake and CTest.
#
#   make             install missing dependencies, configure, build
#   make demo        build, then run "centra-bridge demo": a throwaway PostgreSQL
#                    cluster and centra-sim, a full sync, a summary; cleans up
#   make test        build, then run every test (unit, integration, style) but the soak
#   make soak        build, then run the fault soak for SOAK_SECONDS (default 180)
#   make bench       build, then run the benchmarks and print their figures
#   make sanitize    unit and integration tests built with ASan and UBSan
#   make valgrind    unit tests under valgrind
#   make coverage    line coverage of src/ with gcovr; fails below COVERAGE_FLOOR %
#   make clean       remove the build directories
#
# Variables: BUILD_DIR (default build), CMAKE_ARGS (extra -D options),
# JOBS (parallel jobs), SKIP_DEPS=1 (do not run the dependency script),
# SOAK_SECONDS (how long make soak injects faults), SOAK_SEED (replay a soak's choices).

BUILD_DIR  ?= build
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
COVERAGE_FLOOR ?= 90
SOAK_SECONDS ?= 180
SOAK_SEED  ?=
CTEST      := ctest --output-on-failure -j $(JOBS)

.PHONY: all deps configure build demo test test-unit test-integration bench soak sanitize \
        valgrind coverage clean

all: build

deps:
ifneq ($(SKIP_DEPS),1)
	@scripts/install-deps.sh
endif

configure: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	$(BUILD_DIR)/centra-bridge demo

test: build
	cd $(BUILD_DIR) && $(CTEST) -LE 'bench|soak'

test-unit: build
	cd $(BUILD_DIR) && $(CTEST) -L unit

test-integration: build
	cd $(BUILD_DIR) && $(CTEST) -L integration

bench: build
	cd $(BUILD_DIR) && ctest -L bench --verbose

soak: build
	cd $(BUILD_DIR) && rm -f soak-summary.txt && \
	  CB_SOAK_SECONDS=$(SOAK_SECONDS) $(if $(SOAK_SEED),CB_SOAK_SEED=$(SOAK_SEED)) \
	  ctest -L soak --output-on-failure; rc=$$?; cat soak-summary.txt 2>/dev/null; exit $$rc

sanitize: deps
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DENABLE_SANITIZERS="address;undefined" \
	      $(CMAKE_ARGS)
	cmake --build build-sanitize -j $(JOBS)
	cd build-sanitize && $(CTEST) -L 'unit|integration'

valgrind: deps
	cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Debug -DENABLE_VALGRIND_TESTS=ON $(CMAKE_ARGS)
	cmake --build build-valgrind -j $(JOBS)
	cd build-valgrind && $(CTEST) -L unit

coverage: deps
	cmake -S . -B build-coverage -DCMAKE_BUILD_TYPE=Debug -DENABLE_COVERAGE=ON $(CMAKE_ARGS)
	cmake --build build-coverage -j $(JOBS)
	cd build-coverage && $(CTEST) -L 'unit|integration'
	gcovr --root . --filter 'src/' --object-directory build-coverage --print-summary \
	      --txt build-coverage/coverage.txt --fail-under-line $(COVERAGE_FLOOR)
	@echo "per-file report: build-coverage/coverage.txt"

clean:
	rm -rf $(BUILD_DIR) build-sanitize build-valgrind build-coverage
