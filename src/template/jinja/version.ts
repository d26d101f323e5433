// Ansible's `version` test: LooseVersion (default), StrictVersion and semantic versions.
import { JinjaError } from './undefined.js';

type Part = number | string;

function loose(v: string): Part[] {
  return v
    .split(/(\d+|[a-z]+|\.)/)
    .filter((x) => x && x !== '.')
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

function strict(v: string): Part[] {
  const m = /^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?$/.exec(v);
  if (!m) throw new JinjaError(`invalid version number '${v}' for version_type=strict`);
  // A pre-release sorts before the release: (a|b, n) < ('~', 0).
  return [Number(m[1]), Number(m[2]), Number(m[4] ?? 0), m[5] ? m[5][0] : '~', m[6] ? Number(m[6]) : 0];
}

function cmpParts(a: Part[], b: Part[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x !== typeof y)
      throw new JinjaError(`version comparison failed: cannot compare '${x}' with '${y}' (try version_type='semver' or 'strict')`);
    return x < y ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

function semver(v: string): { main: number[]; pre: Part[] } {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
  if (!m) throw new JinjaError(`invalid semantic version '${v}'`);
  return {
    main: [Number(m[1]), Number(m[2]), Number(m[3])],
    pre: m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [],
  };
}

function cmpSemver(a: string, b: string): number {
  const x = semver(a);
  const y = semver(b);
  const main = cmpParts(x.main, y.main);
  if (main) return main;
  if (!x.pre.length || !y.pre.length) return y.pre.length - x.pre.length ? (x.pre.length ? -1 : 1) : 0;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p < q ? -1 : 1;
    if (typeof p === 'number') return -1;
    if (typeof q === 'number') return 1;
    return p < q ? -1 : 1;
  }
  return Math.sign(x.pre.length - y.pre.length);
}

const OPERATORS: Record<string, (c: number) => boolean> = {
  '==': (c) => c === 0,
  '=': (c) => c === 0,
  eq: (c) => c === 0,
  '!=': (c) => c !== 0,
  '<>': (c) => c !== 0,
  ne: (c) => c !== 0,
  '<': (c) => c < 0,
  lt: (c) => c < 0,
  '<=': (c) => c <= 0,
  le: (c) => c <= 0,
  '>': (c) => c > 0,
  gt: (c) => c > 0,
  '>=': (c) => c >= 0,
  ge: (c) => c >= 0,
};

export function versionCompare(value: string, other: string, operator: string, type: string): boolean {
  const op = OPERATORS[operator];
  if (!Object.prototype.hasOwnProperty.call(OPERATORS, operator))
    throw new JinjaError(`invalid version operator '${operator}' (${Object.keys(OPERATORS).join(', ')})`);
  let c: number;
  switch (type) {
    case 'loose':
      c = cmpParts(loose(value), loose(other));
      break;
    case 'strict':
      c = cmpParts(strict(value), strict(other));
      break;
    case 'semver':
    case 'semantic':
      c = cmpSemver(value, other);
      break;
    default:
      throw new JinjaError(`unsupported version_type '${type}' (loose, strict, semver)`);
  }
  return op(c);
}
