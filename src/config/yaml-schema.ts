// YAML as Ansible reads it. Ansible's loader is PyYAML, which implements YAML 1.1: `yes`,
// `no`, `on`, `off` are booleans, `0644` is octal (420), `1:30` is base 60 (90). The yaml
// library's own 1.1 schema differs from PyYAML in a few places, corrected here so a file means
// in fleet what it means in Ansible:
//   - `y`, `n` (any case) stay strings (PyYAML has no such booleans);
//   - `08`, `09` stay strings (not decimal, not octal in PyYAML);
//   - `1e3` and `1.0e3` stay strings (PyYAML's floats need a dot and a signed exponent);
//   - `.` and `-.` stay strings;
//   - timestamps (`2024-01-31`) stay strings: PyYAML makes a date, which renders as the same
//     text in a template; a JavaScript Date would not.
import type { CollectionTag, DocumentOptions, ParseOptions, ScalarTag, SchemaOptions, Tags } from 'yaml';

type Tag = ScalarTag | CollectionTag;

const BOOL = 'tag:yaml.org,2002:bool';
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';
const TIMESTAMP = 'tag:yaml.org,2002:timestamp';

/** PyYAML's implicit resolvers (yaml/resolver.py), anchored. */
export const PYYAML = {
  true: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  false: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  int: /^[-+]?(?:0|[1-9][0-9_]*)$/,
  intTime: /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/,
  float: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/,
  floatExp: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)[eE][-+][0-9]+$/,
};

function adjust(tag: Tag): Tag | undefined {
  if ('collection' in tag && tag.collection) return tag;
  const t = tag as ScalarTag;
  if (t.tag === TIMESTAMP) return undefined;
  if (t.tag === BOOL) return { ...t, test: t.identify?.(true) ? PYYAML.true : PYYAML.false };
  if (t.tag === INT && t.format === undefined) return { ...t, test: PYYAML.int };
  if (t.tag === INT && t.format === 'TIME') return { ...t, test: PYYAML.intTime };
  if (t.tag === FLOAT && t.format === 'EXP') return { ...t, test: PYYAML.floatExp };
  if (t.tag === FLOAT && t.format === undefined && t.test?.test('1.5')) return { ...t, test: PYYAML.float };
  return t;
}

/** The yaml library's YAML 1.1 tags, adjusted to PyYAML's. Other tags (a `!vault` reader)
 * can be added to the list this returns. */
export function ansibleTags(defaults: Tags): Tags {
  return defaults.map((t) => adjust(t as Tag)).filter((t): t is Tag => t !== undefined);
}

/** Options for every parse and stringify of a file fleet shares with Ansible. */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  schema: 'yaml-1.1',
  merge: true,
  customTags: ansibleTags,
};
