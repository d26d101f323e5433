// YAML output as Ansible's to_yaml / to_nice_yaml write it (Python's yaml.dump): keys
// sorted, sequences inside mappings not indented, "-" padded to the indent width before a
// nested mapping, collections of scalars in flow style for to_yaml. Scalars are quoted as
// YAML 1.1 needs (so the string 'yes' stays a string). Long strings are not folded at 80
// columns as PyYAML does: the data is the same, the lines longer.
import { Document, isCollection, isScalar, stringify, visit } from 'yaml';
import { unbox } from '../../values/float.js';
import { isMapping } from '../lookup.js';

function scalar(v: unknown): string {
  return stringify(v, { version: '1.1', lineWidth: 0, singleQuote: true }).replace(/\n$/, '');
}

function isEmpty(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (isMapping(v) && Object.keys(v).length === 0);
}

function nested(v: unknown): boolean {
  return (Array.isArray(v) || isMapping(v)) && !isEmpty(v);
}

/** Lines of a block-style value, each without the indentation of `v` itself. */
function block(v: unknown, indent: number): string[] {
  if (isMapping(v)) {
    const out: string[] = [];
    for (const k of Object.keys(v).sort()) {
      const x = v[k];
      const key = scalar(k);
      if (!nested(x)) out.push(`${key}: ${isEmpty(x) ? (Array.isArray(x) ? '[]' : '{}') : scalar(x)}`);
      else {
        out.push(`${key}:`);
        // A sequence under a key is not indented (PyYAML); a mapping is.
        const pad = Array.isArray(x) ? '' : ' '.repeat(indent);
        for (const line of block(x, indent)) out.push(pad + line);
      }
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const x of v) {
      if (!nested(x)) {
        out.push(`- ${isEmpty(x) ? (Array.isArray(x) ? '[]' : '{}') : scalar(x)}`);
        continue;
      }
      const lines = block(x, indent);
      const lead = '-' + ' '.repeat(Math.max(1, indent - 1));
      out.push(lead + lines[0], ...lines.slice(1).map((l) => ' '.repeat(lead.length) + l));
    }
    return out;
  }
  return [scalar(v)];
}

export function toNiceYaml(v: unknown, indent: number): string {
  const u = unbox(v);
  if (!nested(u)) return `${isEmpty(u) ? (Array.isArray(u) ? '[]' : '{}') : scalar(u)}\n`;
  return block(u, indent).join('\n') + '\n';
}

export function toFlowYaml(v: unknown, indent: number): string {
  const doc = new Document(unbox(v), { sortMapEntries: true, version: '1.1' });
  visit(doc, {
    Collection(_, node) {
      const items = node.items.map((i) => (isScalar(i) || isCollection(i) ? i : (i as { value: unknown }).value));
      if (items.every((i) => isScalar(i) || i === null)) node.flow = true;
    },
  });
  return doc.toString({ indent, indentSeq: false, lineWidth: 0, flowCollectionPadding: false, singleQuote: true });
}
