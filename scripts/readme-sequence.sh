#!/usr/bin/env bash
# The README's two commands in both orders, as a newcomer follows them on one machine:
#   1. npm run demo, then npm test: the tests must not depend on what the demo did to its
#      hosts (harden-ssh turned root login off); and fleet lab ssh must still reach a host
#      the demo hardened;
#   2. npm test, then npm run demo: with the demo's lab removed, what the tests left must not
#      break a demo on a fresh lab.
# CI runs this (it includes npm test). FLEET_DEMO_LAB_NAME/_SUBNET move the demo off the
# default lab (a shared machine); FLEET_LAB_NAME/_SUBNET move the tests, as for npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
fleet() { node dist/fleet.cjs "$@"; }
lab=()
if [ -n "${FLEET_DEMO_LAB_NAME:-}" ]; then lab=(--name "$FLEET_DEMO_LAB_NAME" --subnet "$FLEET_DEMO_LAB_SUBNET"); fi
first=$(if [ -n "${FLEET_DEMO_LAB_NAME:-}" ]; then echo "${FLEET_DEMO_LAB_NAME}1"; else echo lab1; fi)
step() { printf '\n==== %s (at %s s) ====\n' "$*" "$SECONDS"; }
cleanup() { fleet lab down "${lab[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "npm run demo"
npm run demo
step "fleet lab ssh $first, which the demo hardened (root login off): a root shell through the admin user"
out=$(fleet lab ssh "${lab[@]}" "$first" -- 'id -un; echo "$SUDO_USER"')
echo "$out"
[ "$out" = "$(printf 'root\nadmin')" ] || { echo "fleet lab ssh did not go through the admin user and sudo" >&2; exit 1; }
step "npm test, with the demo's hardened lab up"
npm test
step "npm run demo on a fresh lab, after the tests"
fleet lab down "${lab[@]}"
npm run demo
step "the README sequence passed in both orders"
