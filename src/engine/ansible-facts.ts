// The facts Ansible roles read (ansible_os_family, ansible_facts.distribution...), derived from
// fleet's own facts so a role written for ansible-playbook sees the same names and values.

const DISTRIBUTION: Record<string, { name: string; family: string }> = {
  debian: { name: 'Debian', family: 'Debian' },
  ubuntu: { name: 'Ubuntu', family: 'Debian' },
  raspbian: { name: 'Debian', family: 'Debian' },
};

/** fleet's facts (engine/facts.ts factsForTemplates) -> Ansible's fact names, without the
 * ansible_ prefix (as under ansible_facts). An OS fleet does not know keeps its own id. */
export function ansibleFactsOf(f: Record<string, unknown>): Record<string, unknown> {
  const id = String(f.os_id ?? '');
  const d = DISTRIBUTION[id] ?? { name: id, family: id };
  const version = String(f.os_version ?? '');
  const addresses = Array.isArray(f.addresses) ? f.addresses.map(String) : [];
  return {
    distribution: d.name,
    os_family: d.family,
    distribution_version: version,
    distribution_major_version: version.split('.')[0],
    distribution_release: f.os_codename,
    architecture: f.arch,
    hostname: f.hostname,
    nodename: f.hostname,
    service_mgr: f.init,
    system: 'Linux',
    processor_vcpus: f.cpus,
    memtotal_mb: f.memory_mb,
    all_ipv4_addresses: addresses.filter((a) => a.includes('.')),
    all_ipv6_addresses: addresses.filter((a) => a.includes(':')),
  };
}

/** Built once per facts object (a host's facts are replaced, never changed): every task's
 * context of every host asks for them (35 000 times at 1000 hosts). */
const built = new WeakMap<Record<string, unknown>, Readonly<Record<string, unknown>>>();

/** Both spellings Ansible gives a template: ansible_facts.NAME and ansible_NAME. Read-only:
 * callers copy its entries. */
export function ansibleFactVars(f: Record<string, unknown>): Readonly<Record<string, unknown>> {
  let vars = built.get(f);
  if (!vars) {
    const facts = Object.freeze(ansibleFactsOf(f));
    vars = Object.freeze({ ansible_facts: facts, ...Object.fromEntries(Object.entries(facts).map(([k, v]) => [`ansible_${k}`, v])) });
    built.set(f, vars);
  }
  return vars;
}
