#!/usr/bin/env bash
# README command 2: unit and integration tests. Integration tests need root and network
# namespaces (they bring up the lab); elsewhere they skip loudly, never in CI.
#
# With no arguments, the integration files run in two groups side by side (vitest.config.ts,
# FLEET_TEST_GROUP), each against a lab of its own: `test` (10.231.1.0/24) and `testb`
# (10.231.3.0/24). Lab tests spend much of their time waiting on their hosts (boots, apt,
# swarm convergence, alerts), so a second lab uses the cores the first leaves idle. Each line
# says which run printed it. With arguments (vitest's own), with FLEET_LAB_NAME set (one lab
# you chose) or with FLEET_TEST_SERIAL=1: one vitest run of everything, as before.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
if [ $# -gt 0 ] || [ -n "${FLEET_LAB_NAME:-}" ] || [ "${FLEET_TEST_SERIAL:-}" = 1 ]; then
  exec npx vitest run "$@"
fi

# One run, its output prefixed line by line; its exit status kept.
run() {
  local tag=$1; shift
  set +e
  "$@" 2>&1 | sed -u "s/^/[$tag] /"
  local rc=${PIPESTATUS[0]}
  set -e
  echo "[$tag] exit $rc"
  return "$rc"
}
# The unit tests first, then group a; group b meanwhile (the unit tests keep the cores busy,
# so they share them with one lab, not two).
unit_then_a() {
  local rc=0
  run unit npx vitest run --project unit || rc=1
  FLEET_TEST_GROUP=a FLEET_LAB_NAME=test FLEET_LAB_SUBNET=10.231.1.0/24 run lab-a npx vitest run --project integration || rc=1
  return "$rc"
}
trap 'trap - INT TERM; kill 0' INT TERM
unit_then_a & a=$!
FLEET_TEST_GROUP=b FLEET_LAB_NAME=testb FLEET_LAB_SUBNET=10.231.3.0/24 run lab-b npx vitest run --project integration & b=$!
rc=0
for p in "$a" "$b"; do wait "$p" || rc=1; done
[ "$rc" = 0 ] && echo "npm test: unit and both integration groups passed" || echo "npm test: FAILED (see the lines tagged above)" >&2
exit "$rc"
