// serial: a number, a percentage, or a list of them (the last one repeats), as in Ansible.
export function batchesOf(hosts: string[], serial: (number | string)[] | undefined): string[][] {
  if (!serial || serial.length === 0 || hosts.length === 0) return hosts.length ? [hosts] : [];
  const sizes = serial.map((s) => {
    if (typeof s === 'number') return s;
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(s.trim());
    return pct ? Math.floor((Number(pct[1]) / 100) * hosts.length) : Number(s);
  });
  const out: string[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = Math.max(1, sizes[Math.min(k, sizes.length - 1)] || hosts.length);
    out.push(hosts.slice(i, i + size));
    i += size;
    k++;
  }
  return out;
}
