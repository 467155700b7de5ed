# Tabphone. `make demo` and `make test` are the two commands; see README.md.
SHELL := /bin/bash
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The version is git describe's (a v-tag, or 0.1.0 plus the commit when there is none);
# `tabphone-host version` and the host's hello report it.
VERSION ?= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null | sed 's/^v//' | grep . || echo "0.1.0+g$$(git describe --always --dirty 2>/dev/null || echo unknown)")
LDFLAGS := -X main.version=$(VERSION)
# Listed, not ./...: node_modules holds a stray Go package of an npm dependency.
PKGS := ./nativehost/... ./media/... ./install/... ./devpbx/... ./internal/... ./bench/...
# What ships: these must build for every OS the release covers.
PRODUCT_PKGS := ./nativehost/... ./media/... ./install/...

.PHONY: all build deps vendor demo test release print-version test-go test-fuzz test-unit test-e2e soak screenshots lint bench clean

all: build

deps:
	./scripts/deps.sh

# libphonenumber-js's bundle into extension/vendor/ (gitignored) for the click-to-call
# content script; the extension directory is complete only after this.
vendor:
	./scripts/vendor.sh

build: vendor
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/tabphone-host ./nativehost
	CGO_ENABLED=0 $(GO) build -o bin/tabphone-devpbx ./devpbx
	# Test peers for the E2E suite (Kamailio, rtpengine, baresip); not shipped.
	CGO_ENABLED=0 $(GO) build -o bin/tabphone-securepeers ./internal/cmd/securepeers

demo: deps build
	node e2e/demo.mjs

lint: deps vendor
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	# The host ships for macOS and Windows too (Windows: the registry code behind install.Registry).
	# Test code uses Unix-only peers, so only the shipped code is checked there.
	GOBIN=$(CURDIR)/bin $(GO) install $(STATICCHECK)
	@for os in windows darwin; do echo "GOOS=$$os go build + staticcheck -tests=false"; \
	  GOOS=$$os CGO_ENABLED=0 $(GO) build $(PRODUCT_PKGS) && \
	  GOOS=$$os CGO_ENABLED=0 bin/staticcheck -tests=false $(PRODUCT_PKGS) || exit 1; done
	$(GO) run $(STATICCHECK) $(PKGS)
	npx web-ext lint --source-dir extension --self-hosted --warnings-as-errors=false --ignore-files 'test/**' 'tools/**'

test: deps build lint test-go test-fuzz test-unit test-e2e

test-go:
	# The race detector needs cgo (gcc); the binaries themselves are built without it.
	CGO_ENABLED=1 $(GO) test -race -count=1 $(PKGS)

# Every fuzz target over the product's parsers of outside input, briefly; a longer run
# is e.g. `make test-fuzz FUZZTIME=10m`. What a run finds lands in testdata/fuzz.
FUZZTIME ?= 10s
# Ordered by package: go test builds a package's fuzz binary once and reuses it for
# the package's next target, which keeps the whole list within ~4 minutes at 10 s.
FUZZ_TARGETS := media:FuzzParseCrypto media:FuzzParseAnswer media:FuzzWebRTCAnswer \
	nativehost/protocol:FuzzDecode nativehost/messaging:FuzzFraming \
	nativehost/config:FuzzParse nativehost/config:FuzzMerge \
	nativehost/host:FuzzRequestData \
	nativehost/phone:FuzzPBXAnswerHint nativehost/phone:FuzzParseMessageSummary \
	nativehost/phone:FuzzParseSessionExpires nativehost/phone:FuzzParseReferTo \
	nativehost/phone:FuzzTarget nativehost/phone:FuzzIncomingSIP nativehost/phone:FuzzRedactSIP \
	nativehost/phone:FuzzParseDialogInfo
test-fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
	  out=$$($(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./$$pkg 2>&1) || \
	    { echo "$$out"; exit 1; }; \
	done

# The long versions of the reliability tests (docs/reliability.md): every fuzz target for
# 10 minutes, the host ended during a call 500 times (make test: 50), the stranger's
# INVITE flood for 10 s (make test: 3 s) and the registrar answering 500 for a minute
# (make test: 20 s).
SOAK_KILL_RUNS ?= 500
soak: deps build
	$(MAKE) test-fuzz FUZZTIME=10m
	TABPHONE_SOAK=1 CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m \
	  -run '^(TestFloodStrangerINVITEs|TestFloodOptions|TestRegisterAnswered500Backs|TestPBXUnreachableWhileIdle|TestPBXUnreachableDuringCall|TestAddressChangeRegistersNewContact)$$' -v ./nativehost
	TABPHONE_KILL_RUNS=$(SOAK_KILL_RUNS) CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 60m \
	  -run '^TestEndDuringACallLeavesNoBinding$$' -v ./nativehost/host

test-unit:
	node --test extension/test/

test-e2e: build
	node --test --test-concurrency=1 e2e/

# Refreshes docs/screenshots from the E2E tests that take them (run when the UI changed).
screenshots: build
	TABPHONE_SCREENSHOTS=docs node --test --test-concurrency=1 e2e/

# The host against baresip on the same dev PBX, the relay alone at 50 and 200 calls, and
# in Chromium and Firefox the first word heard and the browser's cost of a call (inside
# the machine's browser lock): a table of each figure beside its goal and baresip's, CSV
# in bench/out/ (docs/performance.md).
bench: deps build
	cd bench && CGO_ENABLED=0 $(GO) test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 10m .

# dist/: the host for linux, darwin, windows × amd64, arm64, the Debian packages, the
# Chrome zip and the Firefox xpi of extension/, and SHA256SUMS (scripts/release.sh).
release: deps build
	VERSION='$(VERSION)' GO='$(GO)' ./scripts/release.sh

print-version:
	@echo '$(VERSION)'

clean:
	rm -rf bin dist e2e/out extension/vendor
