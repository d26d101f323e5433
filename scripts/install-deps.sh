#!/usr/bin/env bash
# Debian packages fleet's lab, tests and benchmark need on the controller.
# Idempotent: installs only what is missing.
set -euo pipefail
pkgs=(debootstrap systemd-container apt-cacher-ng nftables iptables iproute2 openssh-client openssh-server time procps ca-certificates)
# Ansible only for the benchmark (pass --with-ansible).
[ "${1:-}" = "--with-ansible" ] && pkgs+=(ansible-core)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "fleet: need root to install: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # apt-cacher-ng asks a debconf question; the default answer is what we want.
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# openssh-server is needed for its sshd binary and keygen tools, never as a service here.
