# Thin wrappers over the npm scripts, so `make` users and CI run the same commands.
.DEFAULT_GOAL := help
.PHONY: help install build test start bench validate verify clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

node_modules: package.json package-lock.json
	npm ci
	@touch node_modules

install: node_modules ## Install the pinned toolchain (applies the SDK patch)

build: node_modules ## Build build/routekey.wasm (asc, then wasm-opt)
	npm run build

test: node_modules ## Run every test (the README's test command)
	npm test

start: node_modules ## Run the local runner with the demo (Ctrl-C stops it)
	npm start

bench: node_modules ## Measure time and memory per request; writes bench/results.json
	npm run bench

validate: node_modules ## Validate a configuration: make validate FILE=my-config.json
	npx routekey validate $(FILE)

verify: node_modules ## Named checks against docker-compose Envoy, or the local runner
	bash envoy/verify.sh

clean: ## Remove build outputs
	rm -rf build
