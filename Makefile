# gorosync — the two commands are `make demo` and `make test`.
GO        ?= go
SEED      ?= 1
SEEDS     ?= 1000
NODES     ?= 0
FAULTS    ?= 8
FUZZTIME  ?= 20s
BIN       := bin

.PHONY: all build deps test unit fuzz demo simdemo sim bench bench-cluster vet clean

# Debian packages the tests use: ip and nft for the namespace cluster
# tests, corosync for its tools (corosync-cmapctl, -cfgtool, -quorumtool,
# -cpgtool run against gorosync; no corosync daemon runs in make test) and
# its client libraries for the C clients, gcc to build them, Pacemaker
# 2.1.5 for the Pacemaker-on-gorosync test.
DEB_PACKAGES := iproute2 nftables corosync libcpg-dev libcmap-dev libcorosync-common-dev libqb-dev gcc pacemaker pacemaker-cli-utils

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...

# deps: as root, install the missing DEB_PACKAGES; otherwise name them
# (the tests that need them then skip, saying why).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "deps: SKIPPED installing$$missing (needs root and apt-get): the namespace cluster and corosync tests will skip"; \
	fi

# test: vet, every package's tests (the simulator runs 1,000 seeds over
# 2..9 nodes with up to 20% loss), then every fuzz target for FUZZTIME.
test: deps vet unit
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

unit:
	$(GO) test -count=1 ./...

# fuzz: each fuzz target of every package for FUZZTIME (go test runs one
# target per invocation). Findings are written to the package's
# testdata/fuzz and fail the run. Go 1.26's fuzz coordinator can also fail
# a target with a bare "context deadline exceeded" at the end of FUZZTIME
# on a loaded machine (golang/go#75804, fixed in Go 1.27): that failure
# writes no input, so it is reported as the toolchain's and not counted.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz: $$pkg $$target ($(FUZZTIME))"; \
	    before=$$(ls $$dir/testdata/fuzz/$$target 2>/dev/null | wc -l); \
	    if ! $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg > .fuzz.log 2>&1; then \
	      cat .fuzz.log; \
	      after=$$(ls $$dir/testdata/fuzz/$$target 2>/dev/null | wc -l); \
	      if [ "$$after" = "$$before" ] && grep -q '^    context deadline exceeded$$' .fuzz.log; then \
	        echo "fuzz: $$target: Go's fuzztime race (golang/go#75804), no failing input written: not a finding"; \
	      else rm -f .fuzz.log; exit 1; fi; \
	    else tail -n 2 .fuzz.log; fi; \
	  done; \
	done; rm -f .fuzz.log

# demo: three gorosync daemons on 127.0.0.1-3 (no root needed, IPC under
# -ipc-prefix n1-/n2-/n3-) form a ring; one Go cpg client per daemon joins
# group "demo" (confchgs printed), quorum is printed as corosync-quorumtool
# -s prints it, every client multicasts 64 B then 1 KiB messages for 3 s,
# each node's delivery rates and a same-order check are printed, then the
# daemons stop on SIGTERM (~5 s in all).
demo: build
	$(BIN)/gorosync-demo -gorosync $(BIN)/gorosync

# simdemo: the same story in the deterministic simulator.
simdemo:
	$(GO) run ./cmd/gorosync-sim -demo -seed $(SEED) -nodes 3 -messages 3000 -max-size 1024

# sim: SEEDS runs from SEED (NODES=0 varies 2..9 by seed) through membership
# with up to FAULTS faults each (FAULTS=-1: on an agreed ring); a failing
# seed prints the line that replays it, and the run prints seeds/s.
sim:
	$(GO) run ./cmd/gorosync-sim -seed $(SEED) -seeds $(SEEDS) -nodes $(NODES) -faults $(FAULTS)

# bench: as root, the Go micro-benchmarks BENCHMARKS.md reports, then the
# side-by-side suite (gorosync against corosync 3.1.7 on namespace
# clusters, ~10 min on 2 cores), then BENCHMARKS.md's generated sections
# (machine, date, targets, tables) are rewritten and the plots written to
# BENCH_PLOTS. BENCH_FLAGS passes flags to gorosync-bench (e.g.
# "-repeat 1 -scenarios throughput" or "-profile /tmp/prof").
BENCH_PLOTS ?= bench/plots
BENCH_FLAGS ?=
BENCH_MICRO := .bench-micro.txt

bench: deps build
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./dataplane/sim ./dataplane/wire ./dataplane/totempg ./dataplane/oracle > $(BENCH_MICRO)
	$(GO) test -run '^$$' -bench . -benchtime 20000x -count 3 ./shm/client ./shm/cinterop >> $(BENCH_MICRO)
	$(BIN)/gorosync-bench -gorosync $(BIN)/gorosync -out $(BENCH_PLOTS) -md BENCHMARKS.md -micro $(BENCH_MICRO) $(BENCH_FLAGS)
	rm -f $(BENCH_MICRO)

# bench-cluster: the side-by-side suite alone; tables on stdout, results
# and plots in BENCH_PLOTS, BENCHMARKS.md untouched.
bench-cluster: deps build
	$(BIN)/gorosync-bench -gorosync $(BIN)/gorosync -out $(BENCH_PLOTS) $(BENCH_FLAGS)

clean:
	rm -rf $(BIN)
