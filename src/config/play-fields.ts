// Play keys with their own shapes: serial, max_fail_percentage, hosts.
import { errAt, isNullNode, isSeq, kindOf, toJS } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/** serial: 5, "30%", or a list of them (successive batch sizes). */
export function readSerial(yf: YamlFile, node: unknown): (number | string)[] | undefined {
  if (isNullNode(node)) return undefined;
  const items = isSeq(node) ? node.items : [node];
  if (isSeq(node) && items.length === 0) throw errAt(yf, node, "'serial' must be a number or a percentage like \"30%\", or a list of them; got an empty list");
  return items.map((n) => {
    const v = toJS(yf, n);
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
    if (typeof v === 'string' && /^\s*\d+\s*$/.test(v) && Number(v) > 0) return Number(v);
    if (typeof v === 'string') {
      const m = PERCENT.exec(v);
      if (m && Number(m[1]) > 0 && Number(m[1]) <= 100) return `${m[1]}%`;
    }
    throw errAt(yf, n, `'serial' must be a number or a percentage like "30%" (above 0), got ${kindOf(yf, n)}`);
  });
}

export function readMaxFail(yf: YamlFile, node: unknown): number | undefined {
  if (isNullNode(node)) return undefined;
  const v = toJS(yf, node);
  const n = typeof v === 'string' && PERCENT.test(v) ? Number(PERCENT.exec(v)![1]) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw errAt(yf, node, `'max_fail_percentage' must be a number from 0 to 100, got ${kindOf(yf, node)}`);
  }
  return n;
}

/** hosts: a pattern string, or a list of patterns (a union). */
export function readHosts(yf: YamlFile, node: unknown): string {
  const bad = () => errAt(yf, node, `'hosts' must be a host pattern string like "all" or "web:&prod", got ${kindOf(yf, node)}`);
  const v = toJS(yf, node);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.trim() !== '')) return v.map((x: string) => x.trim()).join(',');
  throw bad();
}
