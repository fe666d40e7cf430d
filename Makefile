# A thin wrapper over CMake. Every target installs what it needs first (see .ci/deps.sh).
#   make train   build, prepare data/fmnist_small.csv, run the documents' experiment
#   make test    build and run the test suite on the fast backend, once per sgemm kernel choice,
#                and on the reference backend (under CI=true also the sanitizer build, -Werror)
#   make data    write the Fashion-MNIST CSVs into data/
#   make bench   run the benchmark
#   make fuzz    build the libFuzzer harnesses (clang, ASan + UBSan), replay their committed
#                inputs and fuzz each for FUZZ_SECONDS (under CI=true, make test does it for 10 s)
#   make exercise NAME=tanh_backward   build and check one exercise of docs/autograd.md
#   make install PREFIX=/opt/minigrad   install the library, headers, CMake package, minigrad.pc, apps
#   make deb     build-deb/minigrad_<version>_amd64.deb (CPack, for any x86-64):
#                `sudo apt-get install ./build-deb/minigrad_*.deb`
#   make examples   build and run examples/ against an installed tree, pkg-config, as a subproject
#                   and from the .deb (make test runs it too)
# "The documents": README.md#the-documents.

BUILD      ?= build
ASAN_BUILD ?= build-asan
DEB_BUILD  ?= build-deb
# The build for this machine: -march=native lets GCC use the CPU's widest vectors in the plain
# loops of the core (the optimizer's update, BatchNorm, the pointwise ops), which the run-time
# choice of sgemm tiles does not cover; on the documents' model it trains about a fifth faster
# than a generic x86-64 build here (docs/benchmarks.md). NATIVE=OFF builds for any x86-64, as
# CMake's own default and `make deb` do.
NATIVE     ?= ON
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
ifeq ($(CI),true)
  CMAKE_ARGS += -DMINIGRAD_WERROR=ON
endif

FUZZ_BUILD   ?= build-fuzz
FUZZ_CXX     ?= clang++-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := csv safetensors metadata table

.PHONY: all deps build test test-release test-asan train data bench docs-examples exercise clean fuzz fuzz-build fuzz-run
.PHONY: install deb examples

all: build

deps:
	@bash .ci/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DMINIGRAD_NATIVE=$(NATIVE) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The suite runs once per sgemm kernel choice and once on the reference backend's plain loops:
# results may differ only by float rounding. The apps' tests (cli_*) run in the first pass and on
# the reference backend; the other kernels' passes run the unit tests, which check the numbers,
# and the one app test that expects something else of OpenBLAS alone (auto keeps one thread).
test-release: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@for gemm in avx2 blas; do echo "== unit tests with MINIGRAD_GEMM=$$gemm"; \
	  (cd $(BUILD) && MINIGRAD_GEMM=$$gemm ctest --output-on-failure -j $(JOBS) -E '^cli_') || exit 1; done
	@cd $(BUILD) && MINIGRAD_GEMM=blas ctest --output-on-failure -R '^cli_train_apps$$'
	@echo "== tests with MINIGRAD_BACKEND=reference"
	@cd $(BUILD) && MINIGRAD_BACKEND=reference ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory examples

# The sanitizer build: clang (the fuzzers need it), ASan + UBSan, and libFuzzer's coverage
# instrumentation, so that one build runs the suite under the sanitizers and also holds the
# fuzz harnesses (`make test` under CI=true fuzzes with them). It compiles with -O1 and line
# tables only (-g1): the sanitizers report file and line as with -O2 -g, in half the compile
# time. It leaves out the tutorial's exercises (small programs over ops the suite already runs
# under the sanitizers) and compiles each library as a unity build (MINIGRAD_UNITY: sources in
# batches of 8, half the CPU time) to keep CI short; the release build compiles every source on
# its own, so a missing #include still fails there.
test-asan: deps
	@bash .ci/deps.sh fuzz
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DMINIGRAD_SANITIZE=ON -DMINIGRAD_FUZZ=ON \
	  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" -DMINIGRAD_BUILD_EXERCISES=OFF -DMINIGRAD_UNITY=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

ifeq ($(CI),true)
test: test-release test-asan
	@$(MAKE) --no-print-directory fuzz-run FUZZ_BUILD=$(ASAN_BUILD) FUZZ_SECONDS=10
else
test: test-release
endif

data: build
	@$(BUILD)/bin/prepare_data --out data

train: data
	@$(BUILD)/bin/train_fmnist

bench: data
	@$(BUILD)/bin/bench

# Refreshes docs/examples/*.out from the programs beside them (the docs quote those outputs).
docs-examples: build
	@for f in docs/examples/*.cpp; do n=$$(basename $$f .cpp); \
	  $(BUILD)/bin/example_$$n > docs/examples/$$n.out && echo "refreshed docs/examples/$$n.out"; done

# Builds one exercise of docs/autograd.md (docs/exercises/$(NAME).cpp) and runs its checks.
exercise: deps
	@test -n "$(NAME)" -a -f docs/exercises/$(NAME).cpp || { echo "usage: make exercise NAME=<name>, one of:" \
	  $$(ls docs/exercises/*.cpp | xargs -n1 basename | sed 's/\.cpp$$//'); exit 2; }
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) --target exercise_$(NAME) -j $(JOBS)
	@$(BUILD)/bin/exercise_$(NAME)

# The harnesses in tests/fuzz, instrumented for coverage and sanitizers. Each links only the
# layers it reads, on the reference backend: the fast kernels are not built, and the train layer
# only for the table target (the tabular tool lives there).
fuzz-build:
	@bash .ci/deps.sh fuzz
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMINIGRAD_FUZZ=ON -DMINIGRAD_BUILD_TESTS=OFF -DMINIGRAD_BACKEND=reference \
	  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run

# Replays the committed inputs and fuzzes each target, with the harnesses already in $(FUZZ_BUILD).
fuzz-run:
	@for t in $(FUZZ_TARGETS); do \
	  bash tests/fuzz/run.sh $(FUZZ_BUILD)/bin/fuzz_$$t tests/fuzz/$$t $(FUZZ_SECONDS) $(FUZZ_BUILD)/$$t || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(DEB_BUILD)

# ---- packaging: see docs/library.md ----
PREFIX ?= /usr/local

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# The package is built in its own tree without -march=native, so that it runs on any x86-64.
deb: deps
	@cmake -S . -B $(DEB_BUILD) -DCMAKE_BUILD_TYPE=Release -DMINIGRAD_NATIVE=OFF $(CMAKE_ARGS) >/dev/null
	@cmake --build $(DEB_BUILD) -j $(JOBS)
	@cd $(DEB_BUILD) && cpack -G DEB >/dev/null
	@rm -rf $(DEB_BUILD)/_CPack_Packages
	@ls $(DEB_BUILD)/minigrad_*.deb

examples: build
	@bash .ci/examples.sh $(BUILD)
