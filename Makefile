# Tabphone. `make demo` and `make test` are the two commands; see README.md.
SHELL := /bin/bash
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION ?= 0.1.0
LDFLAGS := -X main.version=$(VERSION)
# Listed, not ./...: node_modules holds a stray Go package of an npm dependency.
PKGS := ./nativehost/... ./media/... ./install/... ./devpbx/... ./internal/... ./bench/...

.PHONY: all build deps vendor demo test test-go test-fuzz test-unit test-e2e screenshots lint bench clean

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
	$(GO) run $(STATICCHECK) $(PKGS)
	npx web-ext lint --source-dir extension --self-hosted --warnings-as-errors=false --ignore-files 'test/**' 'tools/**'

test: deps build lint test-go test-fuzz test-unit test-e2e

test-go:
	# The race detector needs cgo (gcc); the binaries themselves are built without it.
	CGO_ENABLED=1 $(GO) test -race -count=1 $(PKGS)

# Every fuzz target over the product's parsers of outside input, briefly; a longer run
# is e.g. `make test-fuzz FUZZTIME=10m`. What a run finds lands in testdata/fuzz.
FUZZTIME ?= 5s
FUZZ_TARGETS := media:FuzzParseCrypto media:FuzzParseAnswer media:FuzzWebRTCAnswer \
	nativehost/protocol:FuzzDecode nativehost/messaging:FuzzFraming \
	nativehost/phone:FuzzPBXAnswerHint nativehost/phone:FuzzParseMessageSummary \
	nativehost/phone:FuzzParseSessionExpires nativehost/phone:FuzzParseReferTo
test-fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
	  out=$$($(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./$$pkg 2>&1) || \
	    { echo "$$out"; exit 1; }; \
	done

test-unit:
	node --test extension/test/

test-e2e: build
	node --test --test-concurrency=1 e2e/

# Refreshes docs/screenshots from the E2E tests that take them (run when the UI changed).
screenshots: build
	TABPHONE_SCREENSHOTS=docs node --test --test-concurrency=1 e2e/

# The host against baresip on the same dev PBX, and the relay alone at 50 and 200 calls:
# a table of each figure beside its goal and baresip's, CSV in bench/out/ (docs/performance.md).
bench: deps build
	cd bench && CGO_ENABLED=0 $(GO) test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 10m .

clean:
	rm -rf bin e2e/out extension/vendor
