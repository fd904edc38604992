# gorosync — the two commands are `make demo` and `make test`.
GO        ?= go
SEED      ?= 1
SEEDS     ?= 1000
NODES     ?= 0
FAULTS    ?= 8
FUZZTIME  ?= 20s
BIN       := bin

.PHONY: all build test unit fuzz demo simdemo sim bench vet clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...

# test: vet, every package's tests (the simulator runs 1,000 seeds over
# 2..9 nodes with up to 20% loss), then every fuzz target for FUZZTIME.
test: vet unit
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

unit:
	$(GO) test -count=1 ./...

# fuzz: each fuzz target of every package for FUZZTIME (go test runs one
# target per invocation). Findings are written to the package's
# testdata/fuzz and fail the run.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz: $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# demo: three gorosync daemons on 127.0.0.1-3 (no root needed) form a ring,
# send through the test hook, print membership and delivered rates, stop.
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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN)
