// Ansible host ranges: "web[01:03]" -> web01, web02, web03; "db-[a:c]"; "[1:9:2]" with a stride.
const RANGE = /^(.*?)\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\](.*)$/;

/** Hosts one entry may expand to: far above any fleet fleet manages, far below what would
 * exhaust memory ("h[1:100000000]" grew to 5 GB). */
export const MAX_RANGE_HOSTS = 10_000;

/** Expand one host entry; returns [name] unchanged when it has no range. Throws a plain
 * Error with the reason when the range is malformed or too large (the caller adds file:line). */
export function expandHostRange(name: string): string[] {
  const n = rangeSize(name);
  if (n > MAX_RANGE_HOSTS)
    throw new Error(`host range '${name}' would make ${n > 1e15 ? 'more than 10^15' : n} hosts; at most ${MAX_RANGE_HOSTS} per entry`);
  return expand(name);
}

/** How many names an entry expands to, counted without expanding it. */
function rangeSize(name: string): number {
  const m = RANGE.exec(name);
  if (!m) return 1;
  const [, , from, to, strideText, tail] = m;
  const stride = strideText ? Number(strideText) : 1;
  const numeric = /^\d+$/.test(from) && /^\d+$/.test(to);
  const a = numeric ? Number(from) : from.charCodeAt(0);
  const b = numeric ? Number(to) : to.charCodeAt(0);
  const here = stride >= 1 && b >= a ? Math.floor((b - a) / stride) + 1 : 1;
  return here * rangeSize(tail);
}

function expand(name: string): string[] {
  const m = RANGE.exec(name);
  if (!m) return [name];
  const [, head, from, to, strideText, tail] = m;
  const stride = strideText ? Number(strideText) : 1;
  if (stride < 1) throw new Error(`host range '${name}': the stride must be at least 1`);
  const out: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const a = Number(from);
    const b = Number(to);
    if (a > b) throw new Error(`host range '${name}': start ${from} is after end ${to}`);
    // Leading zeros in the start fix the width ("01" -> 01, 02 ... 10).
    const width = from.startsWith('0') ? from.length : 0;
    for (let i = a; i <= b; i += stride) out.push(String(i).padStart(width, '0'));
  } else if (/^[a-z]$/.test(from) && /^[a-z]$/.test(to)) {
    const a = from.charCodeAt(0);
    const b = to.charCodeAt(0);
    if (a > b) throw new Error(`host range '${name}': start ${from} is after end ${to}`);
    for (let i = a; i <= b; i += stride) out.push(String.fromCharCode(i));
  } else {
    throw new Error(`host range '${name}': expected [START:END] with two numbers or two lowercase letters`);
  }
  // The tail may hold another range ("r[1:2]-n[a:b]").
  return out.flatMap((mid) => expand(`${head}${mid}${tail}`));
}
