# hookflow — run `make` (or `make help`) for the targets.

GO ?= go
# The race detector needs cgo and a C compiler; without one (a machine with only Go) the
# tests run without it, and say so.
RACE ?= $(if $(filter 1,$(shell $(GO) env CGO_ENABLED 2>/dev/null)),-race,)
TEST_TIMEOUT ?= 10m

.DEFAULT_GOAL := help
.PHONY: help demo browser test test-unit test-localstack stress bench churn lint build tidy

help: ## Show this help
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z_-]+:.*?## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

demo: ## Run an order, a webhook and a hook end to end on the embedded backend (~3 s)
	$(GO) run ./examples/demo

# The names Chromium goes by on PATH, as the inspector's browser test (pkg/inspector) looks
# for them.
BROWSERS := chromium chromium-browser google-chrome

browser: ## Make sure Chromium is on PATH for the inspector's browser test (installs it with apt-get when it can)
	@for b in $(BROWSERS); do \
		if command -v $$b >/dev/null 2>&1; then echo "make browser: $$(command -v $$b)"; exit 0; fi; \
	done; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make browser: Chromium is missing and there is no apt-get to install it: install the package chromium (dnf install chromium, brew install --cask chromium, ...) so that one of '$(BROWSERS)' is on PATH"; exit 1; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=sudo; \
	else echo "make browser: Chromium is missing; as root, run: apt-get update && apt-get install -y chromium"; exit 1; fi; \
	echo "make browser: installing Chromium: apt-get update && apt-get install -y chromium"; \
	$$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || exit 1; \
	for b in $(BROWSERS); do \
		if command -v $$b >/dev/null 2>&1; then echo "make browser: $$(command -v $$b)"; exit 0; fi; \
	done; \
	echo "make browser: apt-get installed chromium, but none of '$(BROWSERS)' is on PATH"; exit 1

test: browser ## Vet and run every test, integration and browser tests included, on a local AWS endpoint (what CI runs)
	$(GO) vet ./...
	$(if $(RACE),,@echo "make test: cgo is unavailable, running the tests without -race")
	./localstack/start-moto.sh
	@status=0; \
	HOOKFLOW_REQUIRE_BROWSER=1 HOOKFLOW_REQUIRE_AWS=1 AWS_ENDPOINT_URL="$${AWS_ENDPOINT_URL:-http://localhost:4566}" \
		$(GO) test $(RACE) -count=1 -timeout $(TEST_TIMEOUT) ./... || status=$$?; \
	./localstack/stop-moto.sh; \
	exit $$status

test-unit: ## Run the tests that need nothing running (integration tests skip, saying so)
	$(GO) test $(RACE) -count=1 -timeout $(TEST_TIMEOUT) ./...

test-localstack: ## Run every test against LocalStack in Docker (machines with a Docker engine)
	docker compose -f localstack/docker-compose.yml up -d --wait
	@status=0; \
	HOOKFLOW_REQUIRE_AWS=1 AWS_ENDPOINT_URL=http://localhost:4566 \
		$(GO) test $(RACE) -count=1 -timeout $(TEST_TIMEOUT) ./... || status=$$?; \
	docker compose -f localstack/docker-compose.yml down; \
	exit $$status

stress: ## Run the fault matrix, the load and the hot-run tests at full size, embedded and on the local AWS endpoint (long)
	./localstack/start-moto.sh
	@status=0; \
	HOOKFLOW_STRESS=1 HOOKFLOW_REQUIRE_AWS=1 AWS_ENDPOINT_URL="$${AWS_ENDPOINT_URL:-http://localhost:4566}" \
		$(GO) test -p 1 -count=1 -timeout 90m -v ./test/faults/ ./test/load/ ./test/hot/ || status=$$?; \
	./localstack/stop-moto.sh; \
	exit $$status

bench: ## Write docs/benchmarks.md (every scenario on memory, bbolt and the local AWS endpoint), then run the go benchmarks
	./localstack/start-moto.sh
	@status=0; \
	export AWS_ENDPOINT_URL="$${AWS_ENDPOINT_URL:-http://localhost:4566}"; \
	HOOKFLOW_BENCH_REPORT=1 HOOKFLOW_REQUIRE_AWS=1 \
		$(GO) test -count=1 -timeout 30m -run '^TestReport$$' -v ./test/bench/ && \
	HOOKFLOW_REQUIRE_AWS=1 $(GO) test -run '^$$' -bench . -benchmem ./... || status=$$?; \
	./localstack/stop-moto.sh; \
	exit $$status

churn: ## Measure the bbolt file and the process's memory after 10,000 runs, with retention on and off
	HOOKFLOW_CHURN_REPORT=off $(GO) test -count=1 -timeout 30m -run '^TestChurnReport$$' -v ./test/churn/
	HOOKFLOW_CHURN_REPORT=on $(GO) test -count=1 -timeout 30m -run '^TestChurnReport$$' -v ./test/churn/

lint: ## Check formatting, vet, and run golangci-lint when it is installed
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$unformatted" ]; then \
		echo "these files need gofmt -w:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@if command -v golangci-lint >/dev/null 2>&1; then golangci-lint run ./...; \
	else echo "golangci-lint not installed; skipped"; fi

LAMBDA_ARCH ?= arm64
LAMBDAS := webhook runner resume admin

build: ## Build the four Lambda functions (build/lambda/<fn>/bootstrap, linux/$(LAMBDA_ARCH))
	@for fn in $(LAMBDAS); do \
		echo "building build/lambda/$$fn/bootstrap (linux/$(LAMBDA_ARCH))"; \
		GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath \
			-ldflags='-s -w' -o build/lambda/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

tidy: ## Tidy go.mod and go.sum
	$(GO) mod tidy

# The CDK app: synth, cfn-lint, infra-test, deploy, deploy-localstack, destroy.
include infra/infra.mk
