# Makefile: a thin wrapper over scripts/install-deps.sh, CMake and CTest.
#
#   make             install missing dependencies, configure, build
#   make demo        build, then run "centra-bridge demo": a throwaway PostgreSQL
#                    cluster and centra-sim, a full sync, a summary; cleans up
#   make test        build, then run every test (unit, integration, style) but the soak
#   make soak        build, then run the fault soak for SOAK_SECONDS (default 180)
#   make bench       build, then run the benchmarks, print their figures and write
#                    docs/benchmarks.md (sizes: CB_BENCH_* variables, see the script)
#   make sanitize    unit and integration tests built with ASan and UBSan
#   make valgrind    unit tests under valgrind
#   make coverage    line coverage of src/ with gcovr; fails below COVERAGE_FLOOR %
#   make fuzz        build the libFuzzer targets of fuzz/ with clang, ASan and UBSan in
#                    build-fuzz and run each for FUZZ_SECONDS (default 60) on a copy of
#                    its seed corpus in build-fuzz/fuzz-work; fails on any finding and
#                    prints where its input is (docs/fuzzing.md).  FUZZ_TARGETS picks some.
#   make clean       remove the build directories
#
# Variables: BUILD_DIR (default build), CMAKE_ARGS (extra -D options),
# JOBS (parallel jobs), SKIP_DEPS=1 (do not run the dependency script),
# SOAK_SECONDS (how long make soak injects faults), SOAK_SEED (replay a soak's choices).

BUILD_DIR  ?= build
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
COVERAGE_FLOOR ?= 90
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
SOAK_SECONDS ?= 180
SOAK_SEED  ?=
CTEST      := ctest --output-on-failure -j $(JOBS)

.PHONY: all deps configure build demo test test-unit test-integration bench soak sanitize \
        valgrind coverage fuzz clean

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
	tests/bench/report.sh $(BUILD_DIR)

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
	gcovr --root . --filter 'src/' --filter 'tests/sim/' --object-directory build-coverage --print-summary \
	      --txt build-coverage/coverage.txt --fail-under-line $(COVERAGE_FLOOR)
	@echo "per-file report: build-coverage/coverage.txt"

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DENABLE_FUZZING=ON -DBUILD_TESTING=OFF $(CMAKE_ARGS)
	cmake --build build-fuzz -j $(JOBS) --target fuzz-targets
	fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD_DIR) build-sanitize build-valgrind build-coverage build-fuzz
