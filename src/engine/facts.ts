// Facts are gathered inside the first probe round trip, never in a round trip of their own.
// The clock (now) is boot time plus uptime, both read from /proc with builtins.
import type { HostFacts, ProbeBatch } from '../model/module.js';
import { DPKG_SHARED, factsDpkgSh } from '../modules/index.js';
import type { Section } from './script.js';

/** Builtins and /proc and /sys reads where they exist (kernel.arch, the online CPU ranges), so
 * facts cost the host few processes. SSH_CONNECTION is dropped by sudo, so it is read from the
 * parent (sudo's) environment when missing. /etc/os-release is read, not sourced: its
 * variables are not ours to list, and the facts run as a function in the script's own shell
 * (FACTS_VARS; a subshell's fork cost the host about what a process does). Its values lose one
 * pair of enclosing quotes, as sh's would (ID, VERSION_ID and VERSION_CODENAME hold no escapes:
 * os-release(5)). */
const OPENSSH = '@@openssh@@';
const FACTS_TEXT = String.raw`i=; vi=; vc=
if [ -r /etc/os-release ]; then while IFS== read -r k v || [ -n "$k" ]; do case $v in \"*\") v=${'$'}{v#\"}; v=${'$'}{v%\"};; \'*\') v=${'$'}{v#\'}; v=${'$'}{v%\'};; esac; case $k in ID) i=$v;; VERSION_ID) vi=$v;; VERSION_CODENAME) vc=$v;; esac; k=; done </etc/os-release; fi
echo "os_id=$i"; echo "os_version=$vi"; echo "os_codename=$vc"
read -r a </proc/sys/kernel/arch 2>/dev/null || a=$(uname -m); echo "arch=$a"
read -r h </etc/hostname 2>/dev/null || h=$(uname -n); echo "hostname=$h"
read -r init </proc/1/comm 2>/dev/null; echo "init=$init"
echo "addresses=$(hostname -I 2>/dev/null)"
while read -r k v z; do [ "$k" = MemTotal: ] && echo "mem_kb=$v"; done </proc/meminfo
n=0; if IFS=, read -r r </sys/devices/system/cpu/online 2>/dev/null; then IFS=,; for x in $r; do case $x in *-*) n=$((n + ${'$'}{x#*-} - ${'$'}{x%-*} + 1));; *) n=$((n + 1));; esac; done; unset IFS; fi
[ "$n" -gt 0 ] || n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc); echo "cpus=$n"
b=; while read -r k v; do [ "$k" = btime ] && b=$v; done </proc/stat; [ -n "$b" ] && read -r up z </proc/uptime && echo "now=$((b + ${'$'}{up%.*}))"
${OPENSSH}
c=${'$'}{SSH_CONNECTION:-}
[ -n "$c" ] || c=$(tr '\0' '\n' </proc/$PPID/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')
echo "ssh_connection=$c"
`;

/** The variables the facts set, unset after them (Section.inline). */
export const FACTS_VARS = ['i', 'vi', 'vc', 'k', 'v', 'z', 'a', 'h', 'init', 'n', 'r', 'x', 'b', 'up', 'c', 'o', 'l'];

/** The facts alone (\`fleet facts\`: no other probe, so openssh's version is asked alone). */
export const FACTS_PROBE = FACTS_TEXT.replace(OPENSSH, String.raw`echo "openssh=$(dpkg-query -W -f='${'$'}{Version}' openssh-server 2>/dev/null)"`);

/** The facts as the first round trip asks them, a function in the script's shell: openssh's
 * version from one dpkg-query that also answers the package probes sent with them
 * (`speculated`), which then read its answer, left in the shell's variables, instead of
 * running dpkg-query again (modules/package.ts, DPKG_SHARED). */
export function factsSection(speculated: readonly { batch?: ProbeBatch }[]): Section {
  const names = speculated.flatMap((s) => (s.batch?.kind === 'dpkg' ? s.batch.names : []));
  if (!names.length) return { kind: 'probe', text: FACTS_PROBE, inline: { unset: FACTS_VARS } };
  return { kind: 'probe', text: FACTS_TEXT.replace(OPENSSH, factsDpkgSh(names).trimEnd()), inline: { unset: FACTS_VARS, keep: [DPKG_SHARED.out, DPKG_SHARED.names] } };
}

export interface GatheredFacts extends HostFacts {
  controllerIp: string;
}

export function parseFacts(out: string): GatheredFacts {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const get = (k: string): string => kv.get(k) ?? '';
  // "1:9.2p1-2+deb12u3" -> "9.2"
  const ssh = /^(?:\d+:)?(\d+\.\d+)/.exec(get('openssh'));
  const facts: GatheredFacts = {
    osId: get('os_id'),
    osVersion: get('os_version'),
    osCodename: get('os_codename'),
    arch: get('arch'),
    hostname: get('hostname'),
    init: get('init'),
    addresses: get('addresses').split(/\s+/).filter(Boolean),
    memoryMb: Math.round(Number(get('mem_kb') || 0) / 1024),
    cpus: Number(get('cpus') || 0),
    opensshVersion: ssh ? ssh[1] : '',
    controllerIp: get('ssh_connection').split(/\s+/)[0] ?? '',
  };
  // The host's clock moves on with the controller's from the moment it was read.
  const clock = Number(get('now'));
  const readAt = Date.now();
  if (clock > 0) Object.defineProperty(facts, 'now', { enumerable: true, get: () => clock + Math.floor((Date.now() - readAt) / 1000) });
  return facts;
}

/** The shape templates see: snake_case like Ansible's facts. */
export function factsForTemplates(f: GatheredFacts): Record<string, unknown> {
  return {
    os_id: f.osId,
    os_version: f.osVersion,
    os_codename: f.osCodename,
    arch: f.arch,
    hostname: f.hostname,
    init: f.init,
    addresses: f.addresses,
    memory_mb: f.memoryMb,
    cpus: f.cpus,
    openssh_version: f.opensshVersion,
  };
}
