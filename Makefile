# gt — Gas Town in one terminal. `make install` then `make test`.
GO        ?= go
PKG       := github.com/gastown/gt
VERSION   ?= 0.1.0
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BINDIR    ?= $(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin)
TESTFLAGS ?=

.PHONY: all build install run test test-short fuzz-short bench bench-pane golden lint fmt check-imports tidy-check clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/gt ./cmd/gt
	ln -sf gt bin/bd

install: build
	install -d "$(BINDIR)"
	install -m 0755 bin/gt "$(BINDIR)/gt"
	ln -sf gt "$(BINDIR)/bd"
	@echo "installed $(BINDIR)/gt and $(BINDIR)/bd"

run: build
	./bin/gt

# Everything CI runs: vet, the import rules, the race-enabled suite (PTY and
# end-to-end tests included) and short fuzz runs.
test:
	$(GO) vet ./...
	$(GO) test -race -timeout 25m $(TESTFLAGS) ./...
	$(MAKE) --no-print-directory fuzz-short

# Unit tests only: skips PTY and end-to-end tests.
test-short:
	$(GO) test -short $(TESTFLAGS) ./...

FUZZTIME ?= 5s
# Runs every Fuzz target for FUZZTIME (seed corpora always run in `go test`).
fuzz-short:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u); do \
		for fz in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //'); do \
			echo "fuzz $$dir $$fz ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$fz$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

bench-pane:
	$(GO) test -run '^$$' -bench Pane -benchmem -timeout 30m ./ptyhost/... ./cmd/gt/

golden:
	$(GO) test ./views/... ./app/... -update

lint:
	@if command -v golangci-lint >/dev/null 2>&1; then golangci-lint run ./...; else $(GO) vet ./...; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

check-imports:
	$(GO) test -run 'TestImport' ./cmd/gt/

tidy-check:
	$(GO) mod tidy -diff

clean:
	rm -rf bin
