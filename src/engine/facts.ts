// Facts are gathered inside the first probe round trip, never in a round trip of their own.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { HostFacts } from '../model/module.js';

/** Builtins and /proc reads only, so facts cost the host almost nothing. SSH_CONNECTION is
 * dropped by sudo, so it is read from the parent (sudo's) environment when missing. */
export const FACTS_PROBE = String.raw`. /etc/os-release 2>/dev/null
echo "os_id=$ID"; echo "os_version=$VERSION_ID"; echo "os_codename=$VERSION_CODENAME"
echo "arch=$(uname -m)"
read -r h </etc/hostname 2>/dev/null || h=$(uname -n); echo "hostname=$h"
read -r init </proc/1/comm 2>/dev/null; echo "init=$init"
echo "addresses=$(hostname -I 2>/dev/null)"
while read -r k v _; do [ "$k" = MemTotal: ] && echo "mem_kb=$v"; done </proc/meminfo
echo "cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)"
echo "openssh=$(dpkg-query -W -f='${'$'}{Version}' openssh-server 2>/dev/null)"
c=${'$'}{SSH_CONNECTION:-}
[ -n "$c" ] || c=$(tr '\0' '\n' </proc/$PPID/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')
echo "ssh_connection=$c"
`;

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
  return {
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

// Facts of the last run, per host and address, let the first round trip probe tasks whose
// text depends on facts. If the facts changed, the probe texts differ and simply miss.
function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fleet', 'facts');
}

function cacheFile(host: string, address: string, port: number): string {
  return join(cacheDir(), `${host}@${address}_${port}.json`.replace(/[^\w@.-]/g, '_'));
}

export function loadCachedFacts(host: string, address: string, port: number): GatheredFacts | undefined {
  try {
    return JSON.parse(readFileSync(cacheFile(host, address, port), 'utf8')) as GatheredFacts;
  } catch {
    return undefined;
  }
}

export function saveCachedFacts(host: string, address: string, port: number, facts: GatheredFacts): void {
  try {
    mkdirSync(cacheDir(), { recursive: true });
    writeFileSync(cacheFile(host, address, port), JSON.stringify(facts));
  } catch {
    // A cache that cannot be written only costs a round trip next time.
  }
}

// Results of read-only queries (`changed_when: false` commands) of the last run. Speculation
// renders later tasks with them, so tasks built from a query's output (a cipher list read
// from `ssh -Q`) are probed in the first round trip too; if the output changed, the probe
// texts differ and simply miss. Never written for names that look like secrets.
function queryCacheFile(host: string, address: string, port: number): string {
  return cacheFile(host, address, port).replace(/\.json$/, '.queries.json');
}

export function loadCachedQueries(host: string, address: string, port: number): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(queryCacheFile(host, address, port), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function saveCachedQueries(host: string, address: string, port: number, values: Record<string, unknown>): void {
  try {
    mkdirSync(cacheDir(), { recursive: true });
    writeFileSync(queryCacheFile(host, address, port), JSON.stringify(values), { mode: 0o600 });
  } catch {
    // Only costs round trips next time.
  }
}
