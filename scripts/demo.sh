#!/usr/bin/env bash
# README command 1: on a fresh Debian machine (as root), set everything up, bring up the
# lab, converge it with fleet (live view), then show with `fleet check` that nothing is left;
# then deploy the part of the communication stack the lab can run (Caddy with its internal
# CA, PostgreSQL, postfix+dovecot, images built from Debian packages) with its self-check.
# FLEET_DEMO_LAB_NAME and FLEET_DEMO_LAB_SUBNET run it on another lab instance (the README
# sequence check uses them to keep off a lab someone else is using on the same machine).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
fleet() { node dist/fleet.cjs "$@"; }
lab=()
if [ -n "${FLEET_DEMO_LAB_NAME:-}" ]; then lab=(--name "$FLEET_DEMO_LAB_NAME" --subnet "${FLEET_DEMO_LAB_SUBNET:?FLEET_DEMO_LAB_SUBNET is needed with FLEET_DEMO_LAB_NAME}"); fi
fleet lab up "${FLEET_LAB_HOSTS:-3}" "${lab[@]}"
fleet apply playbooks/site.yml -i inventory
echo
echo "== fleet check: nothing should be left to change =="
fleet check playbooks/site.yml -i inventory

echo
echo "== the communication stack: Caddy (internal CA), PostgreSQL, mail; then its self-check =="
start=$SECONDS
vars=$(node scripts/demo-comms-vars.mjs)
# Your age identity (~/.config/fleet) and inventory/secrets.yml, as in README "Secrets";
# the mail accounts' passwords and the mail key are set once, PostgreSQL's is generated.
[ -f inventory/secrets.yml ] || fleet secrets init -i inventory
has() { fleet secrets get "$1" -i inventory >/dev/null 2>&1; }
for s in demo_mail_alice demo_mail_bob; do has "$s" || openssl rand -hex 16 | fleet secrets set "$s" -i inventory; done
has demo_mail_tls_key || fleet secrets set demo_mail_tls_key -i inventory < .lab/demo-comms/mail.key
fleet apply playbooks/comms.yml -i inventory -e "@$vars"
echo
echo "== fleet check playbooks/comms.yml: nothing to change, the self-check passes =="
fleet check playbooks/comms.yml -i inventory -e "@$vars"
echo "(the communication stack took $((SECONDS - start)) s)"
