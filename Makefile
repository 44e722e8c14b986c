# Thin wrappers over the npm scripts, so `make` users and CI run the same commands.
.DEFAULT_GOAL := help
.PHONY: help install build test start bench validate verify clean image bundle

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

# One file with every dependency (plain JavaScript, node >= 20): what docker-compose's rules-server
# service and istio/rules-server/ run, where there is no node_modules. The createRequire banner
# lets the bundled CommonJS packages (yaml) require node's built-ins from an ES module.
bundle: node_modules ## Bundle the CLI into build/routekey-cli.mjs (rules-server in containers)
	npx esbuild host/app/cli.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
	  --outfile=build/routekey-cli.mjs \
	  "--banner:js=import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

clean: ## Remove build outputs
	rm -rf build

# The OCI image for Istio's WasmPlugin (istio/Dockerfile; the context is cut down by .dockerignore).
IMAGE ?= routekey:$(shell node -p "require('./package.json').version")

# The engine check comes first, so that a machine without Docker learns it before any install or build.
image: ## Build the OCI image for Istio: make image IMAGE=REGISTRY/routekey:TAG
	@docker info >/dev/null 2>&1 || { echo "make image: no Docker engine reachable (docker info failed): the image cannot be built on this machine; run make image where Docker runs" >&2; exit 1; }
	@$(MAKE) --no-print-directory build
	docker build -f istio/Dockerfile -t $(IMAGE) .
	@echo "built $(IMAGE); push it, then set the WasmPlugin's spec.sha256 to the manifest digest docker push prints (without sha256:)"
