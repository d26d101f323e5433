#!/usr/bin/env bash
# README command 1: on a fresh Debian machine (as root), set everything up, bring up the
# lab, converge it with fleet (live view), then show with `fleet check` that nothing is left.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
fleet() { node dist/cli/main.js "$@"; }
fleet lab up "${FLEET_LAB_HOSTS:-3}"
fleet apply playbooks/site.yml -i inventory
echo
echo "== fleet check: nothing should be left to change =="
fleet check playbooks/site.yml -i inventory
