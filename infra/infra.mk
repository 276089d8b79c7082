# infra/infra.mk — the CDK app's targets; the root Makefile includes this file.
#
# The CDK app is its own Go module in infra/ (CDK and jsii stay out of the Lambda module);
# the CDK CLI is an npm devDependency of infra/package.json, installed on first use with
# `npm ci` into infra/node_modules. Every path here is relative to this file, so the targets
# work from the repository root.

INFRA_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
GO ?= go
LAMBDA_ARCH ?= arm64
# jsii warns on every run under node 20, which it no longer supports; the CDK works.
INFRA_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
CDK := cd $(INFRA_DIR) && $(INFRA_ENV) npx --no-install cdk
# cdklocal wants an S3 endpoint too; path-style S3 on the same endpoint needs no DNS for
# *.localhost.localstack.cloud.
CDKLOCAL := cd $(INFRA_DIR) && $(INFRA_ENV) AWS_ENDPOINT_URL=$(LOCALSTACK_ENDPOINT) \
	AWS_ENDPOINT_URL_S3=$(LOCALSTACK_ENDPOINT) AWS_S3_FORCE_PATH_STYLE=1 npx --no-install cdklocal
# Extra arguments for cdk, e.g. CDK_ARGS='-c hookflow:logLevel=debug --profile prod'.
CDK_ARGS ?=
# The functions' architecture follows the binaries that `make build` made.
INFRA_CONTEXT = -c hookflow:architecture=$(LAMBDA_ARCH)
LOCALSTACK_ENDPOINT ?= http://localhost:4566
# A LocalStack stack is a throwaway: its table and logs go with it.
LOCALSTACK_CONTEXT := -c hookflow:removalPolicy=destroy -c hookflow:deletionProtection=false
# The stack's template, as `make synth` writes it (the stack is named by hookflow:stackName).
INFRA_TEMPLATE := $(INFRA_DIR)/cdk.out/Hookflow.template.json
# cfn-lint: where this machine image's Python installs it (a pyenv shim on PATH may not work in
# a clean environment), else on PATH.
CFN_LINT ?= $(or $(firstword $(wildcard $(HOME)/.pyenv/versions/*/bin/cfn-lint)),$(shell command -v cfn-lint 2>/dev/null))
# W3005 (a DependsOn that a GetAtt already implies) is the CDK's own doing: every Lambda
# function depends on its role explicitly.
CFN_LINT_ARGS ?= --ignore-checks W3005
INFRA_NODE := $(INFRA_DIR)/node_modules/.package-lock.json

# The deploy gate (cmd/hookflow gate check) replays the runs in flight against the code about
# to be deployed and stops the deploy when one would fail; GATE=off skips it.
GATE ?= on
# $(call GATE_CHECK,<stack outputs file>[,<environment>])
GATE_CHECK = $(if $(filter off,$(GATE)),@echo "deploy gate: off (GATE=off)",$(2) $(GO) run ./cmd/hookflow gate check --backend aws --outputs $(1))

.PHONY: synth deploy deploy-localstack destroy infra-test cfn-lint cdk-bootstrap gate

$(INFRA_NODE): $(INFRA_DIR)/package.json $(INFRA_DIR)/package-lock.json
	cd $(INFRA_DIR) && npm ci --no-audit --no-fund

synth: build $(INFRA_NODE) ## Synthesize the CDK stack to infra/cdk.out (offline)
	$(CDK) synth --quiet $(INFRA_CONTEXT) $(CDK_ARGS)
	@echo "template: $(INFRA_TEMPLATE)"

cfn-lint: synth ## Lint the synthesized template with cfn-lint (fails on errors)
	@test -n "$(CFN_LINT)" || { echo "cfn-lint is not installed (pip install cfn-lint)"; exit 1; }
	$(firstword $(CFN_LINT)) --non-zero-exit-code error $(CFN_LINT_ARGS) -- $(INFRA_DIR)/cdk.out/*.template.json

infra-test: ## Run the CDK assertion tests in infra/ (warm ~15 s; a cold build takes minutes and 1 GB)
	cd $(INFRA_DIR) && $(INFRA_ENV) $(GO) vet ./... && $(INFRA_ENV) $(GO) test -count=1 ./...

cdk-bootstrap: build $(INFRA_NODE) ## Prepare the AWS account and region for make deploy (once)
	$(CDK) bootstrap $(INFRA_CONTEXT) $(CDK_ARGS)

gate: ## Check the runs in flight on the deployed stack against this code (make deploy runs it first)
	$(call GATE_CHECK,$(INFRA_DIR)/cdk-outputs.json)

deploy: build $(INFRA_NODE) ## Deploy to AWS with the CDK, after the deploy gate (GATE=off skips it)
	$(call GATE_CHECK,$(INFRA_DIR)/cdk-outputs.json)
	$(CDK) deploy $(INFRA_CONTEXT) $(CDK_ARGS) --outputs-file cdk-outputs.json
	@echo "outputs: $(INFRA_DIR)/cdk-outputs.json"

deploy-localstack: build $(INFRA_NODE) ## Deploy to LocalStack (localhost:4566) with cdklocal
	$(call GATE_CHECK,$(INFRA_DIR)/cdk-outputs.local.json,AWS_ENDPOINT_URL=$(LOCALSTACK_ENDPOINT))
	$(CDKLOCAL) bootstrap $(INFRA_CONTEXT) $(LOCALSTACK_CONTEXT) $(CDK_ARGS)
	$(CDKLOCAL) deploy --require-approval never $(INFRA_CONTEXT) $(LOCALSTACK_CONTEXT) $(CDK_ARGS) --outputs-file cdk-outputs.local.json
	@echo "outputs: $(INFRA_DIR)/cdk-outputs.local.json"

destroy: build $(INFRA_NODE) ## Delete the CDK stack (the table and logs are retained by default)
	$(CDK) destroy $(INFRA_CONTEXT) $(CDK_ARGS)
