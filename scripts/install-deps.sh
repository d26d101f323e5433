#!/usr/bin/env bash
# Debian packages fleet's lab, tests and benchmark need on the controller.
# Idempotent: installs only what is missing.
set -euo pipefail
pkgs=(debootstrap systemd-container apt-cacher-ng nftables iptables iproute2 openssh-client openssh-server time procps ca-certificates)
# tor: the tests run a private Tor network (authorities, relays, the client fleet reaches
# onion services through) from its binaries; the package's own system tor is never started.
pkgs+=(tor)
# Ansible only for the benchmark (pass --with-ansible).
[ "${1:-}" = "--with-ansible" ] && pkgs+=(ansible-core)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "fleet: need root to install: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # Services of packages installed here are not started (tor's would dial the public Tor
  # network): a policy-rc.d that refuses, unless the machine already has one.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# fleet install-deps: no service starts during this install\nexit 101\n' > "$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  # apt-cacher-ng asks a debconf question; the default answer is what we want.
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# openssh-server is needed for its sshd binary and keygen tools, never as a service here.
