#!/usr/bin/env bash
# Named end-to-end checks of the Envoy sandbox (see host/app/verify.ts for the list and the modes):
#   docker compose when a Docker engine runs, else a local `envoy` binary, else the local runner.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx host/app/verify.ts "$@"
