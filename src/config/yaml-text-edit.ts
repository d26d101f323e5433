// Minimal text edits on a YAML file, located with the parsed nodes' ranges, so everything
// not edited (comments, spacing, quoting, flow or block style) stays byte for byte.
// yaml's Document.toString() would keep comments but re-flow the layout.
import { Document, Pair, YAMLMap, isMap, isScalar, stringify, visit } from 'yaml';
import { YAML_OPTIONS } from './yaml-schema.js';
import { parseYaml } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

export class YamlText {
  yf: YamlFile;
  constructor(
    readonly file: string,
    public text: string,
  ) {
    this.yf = parseYaml(file, text, { vault: false });
  }

  private splice(at: number, end: number, insert: string): void {
    this.text = this.text.slice(0, at) + insert + this.text.slice(end);
    this.yf = parseYaml(this.file, this.text, { vault: false }); // ranges moved: parse again before the next edit
  }

  /** Replace a value node with `value` written inline. */
  replaceValue(node: unknown, value: unknown): void {
    const [start, end] = (node as { range: [number, number, number] }).range;
    const old = this.text.slice(start, end);
    this.splice(start, end, flow(value) + (old.endsWith('\n') ? '\n' : ''));
  }

  /** Give a pair whose value is empty ("w2:") a one-entry mapping. */
  fillNull(pair: Pair, key: string, value: unknown): void {
    const keyEnd = (pair.key as { range: [number, number, number] }).range[1];
    const colon = this.text.indexOf(':', keyEnd);
    this.splice(colon + 1, colon + 1, ` ${flow({ [key]: value })}`);
  }

  /** Add `key: value` as the last entry of a map (block or flow). `value` may be a nested
   * chain of single-key maps; in a block map they are written as block lines. */
  addEntry(map: YAMLMap, key: string, value: unknown): void {
    const range = (map as { range?: [number, number, number] }).range!;
    if (map.flow) {
      const close = this.text.lastIndexOf('}', range[1] - 1); // range[1] is just past the '}'
      const sep = map.items.length ? ', ' : '';
      this.splice(close, close, `${sep}${flowKey(key)}: ${flow(value)}`);
      return;
    }
    const first = map.items[0] as Pair;
    const indent = this.yf.lc.linePos((first.key as { range: number[] }).range[0]).col - 1;
    let end = 0;
    for (const p of map.items as Pair[]) {
      const r = ((p.value as { range?: number[] } | null)?.range ?? (p.key as { range: number[] }).range) as number[];
      end = Math.max(end, r[1], (p.key as { range: number[] }).range[1]);
    }
    if (this.text[end - 1] !== '\n') {
      const nl = this.text.indexOf('\n', end);
      end = nl < 0 ? this.text.length : nl + 1;
    }
    const lead = end === this.text.length && !this.text.endsWith('\n') && this.text.length ? '\n' : '';
    this.splice(end, end, lead + blockLines(key, value, indent));
  }

  /** Remove one entry of a map: in a block map its lines (key through value), in a flow
   * map the entry and one separating comma. Comments on other lines stay. */
  removeEntry(map: YAMLMap, pair: Pair): void {
    const keyStart = (pair.key as { range: number[] }).range[0];
    const valueEnd = ((pair.value as { range?: number[] } | null)?.range ?? (pair.key as { range: number[] }).range)[1];
    if (map.flow) {
      const items = map.items as Pair[];
      const i = items.indexOf(pair);
      if (i < items.length - 1) {
        const next = (items[i + 1].key as { range: number[] }).range[0];
        this.splice(keyStart, next, '');
      } else if (i > 0) {
        const prev = items[i - 1];
        const prevEnd = ((prev.value as { range?: number[] } | null)?.range ?? (prev.key as { range: number[] }).range)[1];
        this.splice(prevEnd, valueEnd, '');
      } else this.splice(keyStart, valueEnd, '');
      return;
    }
    const lineStart = this.text.lastIndexOf('\n', keyStart - 1) + 1;
    let end = valueEnd;
    if (this.text[end - 1] !== '\n') {
      const nl = this.text.indexOf('\n', end);
      end = nl < 0 ? this.text.length : nl + 1;
    }
    this.splice(lineStart, end, '');
  }

  /** Append a top-level entry to a document whose root is empty (comments only). */
  appendTop(key: string, value: unknown): void {
    const lead = this.text.length && !this.text.endsWith('\n') ? '\n' : '';
    this.splice(this.text.length, this.text.length, lead + blockLines(key, value, 0));
  }
}

/** A chain of single-key maps becomes block lines; the innermost value stays inline. */
export class Chain {
  constructor(readonly entries: Record<string, unknown>) {}
}

function blockLines(key: string, value: unknown, indent: number): string {
  const pad = ' '.repeat(indent);
  if (value instanceof Chain) {
    return `${pad}${flowKey(key)}:\n` + Object.entries(value.entries).map(([k, v]) => blockLines(k, v, indent + 2)).join('');
  }
  return `${pad}${flowKey(key)}: ${flow(value)}\n`;
}

/** One-line YAML for a value: flow collections, and multi-line strings double-quoted
 * (a plain or block scalar would spill onto the following lines). */
function flow(value: unknown): string {
  // Written as YAML 1.1 so a string like "no" or "0644" is quoted and reads back as a string.
  const doc = new Document(unchain(value) ?? null, YAML_OPTIONS);
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && /[\n\r]/.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0, doubleQuotedMinMultiLineLength: Number.MAX_SAFE_INTEGER }).trimEnd();
}

function unchain(v: unknown): unknown {
  if (v instanceof Chain) return unchain(v.entries);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unchain(x)]));
  }
  return v;
}

function flowKey(key: string): string {
  return stringify(key, { ...YAML_OPTIONS, lineWidth: 0 }).trimEnd();
}

export function mapGet(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => isScalar(p.key) && String(p.key.value) === key);
}

export { isMap };
