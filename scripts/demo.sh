#!/usr/bin/env bash
# README command 1: on a fresh Debian machine (as root), set everything up, bring up the
# lab, converge it with fleet (live view), then show with `fleet check` that nothing is left.
# FLEET_DEMO_LAB_NAME and FLEET_DEMO_LAB_SUBNET run it on another lab instance (the README
# sequence check uses them to keep off a lab someone else is using on the same machine).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
fleet() { node dist/cli/main.js "$@"; }
lab=()
if [ -n "${FLEET_DEMO_LAB_NAME:-}" ]; then lab=(--name "$FLEET_DEMO_LAB_NAME" --subnet "${FLEET_DEMO_LAB_SUBNET:?FLEET_DEMO_LAB_SUBNET is needed with FLEET_DEMO_LAB_NAME}"); fi
fleet lab up "${FLEET_LAB_HOSTS:-3}" "${lab[@]}"
fleet apply playbooks/site.yml -i inventory
echo
echo "== fleet check: nothing should be left to change =="
fleet check playbooks/site.yml -i inventory
