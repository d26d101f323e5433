// Ansible host ranges: "web[01:03]" -> web01, web02, web03; "db-[a:c]"; "[1:9:2]" with a stride.
const RANGE = /^(.*?)\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\](.*)$/;

/** Expand one host entry; returns [name] unchanged when it has no range. Throws a plain
 * Error with the reason when the range is malformed (the caller adds file:line). */
export function expandHostRange(name: string): string[] {
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
  return out.flatMap((mid) => expandHostRange(`${head}${mid}${tail}`));
}
