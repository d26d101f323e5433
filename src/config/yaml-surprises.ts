// Plain scalars that YAML 1.1 (and so Ansible) reads as something other than the text an
// author most likely meant. fleet reads them as Ansible does, and says so with file:line,
// because a silent change of type is how `country: NO` ends up false.
import { isPair, isScalar, isSeq, visit } from 'yaml';
import type { Document, LineCounter, Scalar } from 'yaml';

/** Keys whose values are file modes: an octal number there is what the author meant. */
const MODE_KEY = /(?:^|_)(?:mode|umask)$/;
const WORD_BOOL = /^(?:yes|no|on|off)$/i;
const SHOUTED_BOOL = /^(?:YES|NO|ON|OFF)$/;
const OCTAL = /^[-+]?0[0-7_]+$/;

/** A parsed YAML file (yaml-source.ts's YamlFile, without importing it back). */
export interface ParsedYaml {
  file: string;
  doc: Document;
  lc: LineCounter;
}

export function yamlSurprises(yf: ParsedYaml): string[] {
  const out: string[] = [];
  const at = (node: Scalar) => {
    const p = yf.lc.linePos(node.range?.[0] ?? 0);
    return `${yf.file}:${p.line}:${p.col}`;
  };
  visit(yf.doc, {
    Scalar(key, node, path) {
      if (node.type !== 'PLAIN' || typeof node.source !== 'string') return;
      const text = node.source;
      const parent = path[path.length - 1];
      const isKey = key === 'key';
      const inSeq = isSeq(parent);
      const ownerKey = isPair(parent) && key === 'value' && isScalar(parent.key) ? String(parent.key.value) : undefined;
      const quote = `quote it ('${text}') to keep the text`;
      if (typeof node.value === 'boolean' && WORD_BOOL.test(text)) {
        if (isKey) out.push(`${at(node)}: the key ${text} is the boolean ${node.value} in YAML 1.1, as Ansible reads it (the name becomes "${node.value}"); ${quote}`);
        else if (inSeq || SHOUTED_BOOL.test(text)) {
          out.push(`${at(node)}: ${text} is the boolean ${node.value} in YAML 1.1, as Ansible reads it; ${quote}`);
        }
      } else if (typeof node.value === 'number' && text.includes(':')) {
        out.push(`${at(node)}: ${text} is the number ${node.value} in YAML 1.1 (base 60), as Ansible reads it; ${quote}`);
      } else if (typeof node.value === 'number' && OCTAL.test(text) && !(ownerKey && MODE_KEY.test(ownerKey))) {
        out.push(`${at(node)}: ${text} is the octal number ${node.value} in YAML 1.1, as Ansible reads it; ${quote}`);
      } else if (typeof node.value === 'number' && ownerKey && MODE_KEY.test(ownerKey) && /^[1-7][0-7]{2,3}$/.test(text)) {
        out.push(`${at(node)}: ${ownerKey}: ${text} is the decimal number ${text}, which as a file mode is 0${node.value.toString(8)} (as in Ansible); write 0${text} for the octal mode`);
      }
    },
  });
  return out;
}
