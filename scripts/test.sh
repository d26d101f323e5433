#!/usr/bin/env bash
# README command 2: unit and integration tests. Integration tests need root and network
# namespaces (they bring up the lab); elsewhere they skip loudly, never in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
exec npx vitest run "$@"
