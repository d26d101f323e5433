// mount (ansible.posix.mount): the fstab line of a mount point, edited as Ansible edits it
// (matched by mount point, fields escaped, "src path fstype opts dump passno"), and the mount
// itself: mounted (line + mounted, remounted when the line changed), unmounted, present (line
// only), absent (line removed, then unmounted and the mount point removed), absent_from_fstab,
// remounted (always a change, as in Ansible).
import { Type } from '@sinclair/typebox';
import type { Module } from '../model/module.js';
import { paramsObject, rawSchema, stringEnum, withDefault, type Params } from '../model/params.js';
import { unifiedDiff } from './lib/diff.js';
import { writeFileSh } from './lib/filewrite.js';
import { parseProbe } from './lib/kv.js';
import { q } from './lib/sh.js';
import { pathSchema } from './lib/schema.js';

const num = withDefault(rawSchema<string | number>({ type: ['string', 'integer'], pattern: '^[0-9]+$', minimum: 0 }), '0');

const schema = paramsObject({
  path: pathSchema,
  src: Type.Optional(Type.String({ minLength: 1 })),
  fstype: Type.Optional(Type.String({ minLength: 1, pattern: '^\\S+$' })),
  opts: withDefault(Type.String({ minLength: 1, pattern: '^\\S+$' }), 'defaults'),
  dump: num,
  passno: num,
  state: stringEnum(['mounted', 'unmounted', 'present', 'absent', 'absent_from_fstab', 'remounted'] as const),
  fstab: withDefault(pathSchema, '/etc/fstab'),
  boot: withDefault(Type.Boolean(), true),
  backup: withDefault(Type.Boolean(), false),
});
type MountParams = Params<typeof schema>;

interface MountData {
  fstab?: string;
  mkdir?: boolean;
  mount?: boolean;
  remount?: boolean;
  umount?: boolean;
  rmdir?: boolean;
}

/** Ansible's _escape_fstab. */
export function escapeFstab(v: string): string {
  return v.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/&/g, '\\046');
}

interface Fields {
  src: string;
  name: string;
  fstype: string;
  opts: string;
  dump: string;
  passno: string;
}

function fieldsOf(p: MountParams): Fields {
  // boot: false is noauto in the options (Ansible).
  let opts = p.opts;
  if (!p.boot && !opts.split(',').includes('noauto')) opts = opts === 'defaults' ? 'noauto' : `${opts},noauto`;
  return {
    src: escapeFstab(p.src ?? ''),
    name: escapeFstab(p.path),
    fstype: escapeFstab(p.fstype ?? ''),
    opts: escapeFstab(opts),
    dump: String(p.dump),
    passno: String(p.passno),
  };
}

const line = (f: Fields) => `${f.src} ${f.name} ${f.fstype} ${f.opts} ${f.dump} ${f.passno}\n`;

/** Python's readlines(): each line with its newline. */
function readlines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The fstab line of this mount point (Linux: 4 to 6 fields; swap matched by src too). */
function matches(fields: string[], want: Fields, p: MountParams): boolean {
  if (fields.length < 4 || fields.length > 6) return false;
  const [src, name, fstype] = fields;
  if (name !== want.name) return false;
  return !(p.src !== undefined && name === 'none' && fstype === 'swap' && src !== p.src);
}

/** set_mount: the text with this mount point's line(s) made so, and whether anything changed. */
export function setMount(text: string, p: MountParams): { text: string; changed: boolean } {
  const want = fieldsOf(p);
  let exists = false;
  let changed = false;
  const out: string[] = [];
  for (const l of readlines(text)) {
    const fields = l.split(/\s+/).filter(Boolean);
    if (!l.trim() || l.trim().startsWith('#') || !matches(fields, want, p)) {
      out.push(l);
      continue;
    }
    exists = true;
    const ld: Fields = { src: fields[0], name: fields[1], fstype: fields[2], opts: fields[3], dump: fields[4] ?? '0', passno: fields[5] ?? '0' };
    let differs = false;
    for (const k of ['src', 'fstype', 'opts', 'dump', 'passno'] as const)
      if (ld[k] !== want[k]) {
        ld[k] = want[k];
        differs = true;
      }
    changed ||= differs;
    out.push(differs ? line(ld) : l);
  }
  if (!exists) {
    // Python appends after a last line that lacks its newline: the two run together.
    out.push(line(want));
    changed = true;
  }
  return { text: out.join(''), changed };
}

/** unset_mount: the text without this mount point's line(s). */
export function unsetMount(text: string, p: MountParams): { text: string; changed: boolean } {
  const want = fieldsOf(p);
  const out = readlines(text).filter((l) => !l.trim() || l.trim().startsWith('#') || !matches(l.split(/\s+/).filter(Boolean), want, p));
  const joined = out.join('');
  return { text: joined, changed: joined !== text };
}

export function mountProblem(p: MountParams): string | undefined {
  if ((p.state === 'mounted' || p.state === 'present') && (p.src === undefined || p.fstype === undefined))
    return `state is ${p.state} but all of the following are missing: ${[p.src === undefined ? 'src' : '', p.fstype === undefined ? 'fstype' : ''].filter(Boolean).join(', ')}`;
  return undefined;
}

function describe(d: MountData, p: MountParams): string {
  const parts: string[] = [];
  if (d.fstab !== undefined) parts.push(`${p.fstab}: ${p.state === 'absent' || p.state === 'absent_from_fstab' ? 'remove' : 'set'} ${p.path}`);
  if (d.mkdir) parts.push(`create ${p.path}`);
  if (d.mount) parts.push(`mount ${p.path}`);
  if (d.remount) parts.push(`remount ${p.path}`);
  if (d.umount) parts.push(`unmount ${p.path}`);
  if (d.rmdir) parts.push(`remove ${p.path}`);
  return parts.join(', ');
}

export const mount: Module<typeof schema, MountData> = {
  name: 'mount',
  schema,
  probe: (p) =>
    `if [ -f ${q(p.fstab)} ]; then echo fstab=1; printf 'text_b64='; base64 -w0 < ${q(p.fstab)}; echo; else echo fstab=0; fi\n` +
    `if [ -d ${q(p.path)} ]; then echo dir=1; elif [ -e ${q(p.path)} ]; then echo dir=other; else echo dir=0; fi\n` +
    `if mountpoint -q -- ${q(p.path)} 2>/dev/null; then echo mounted=1; else echo mounted=0; fi\n`,
  plan(p, out) {
    const problem = mountProblem(p);
    if (problem) return { kind: 'blocked', reason: problem };
    const d = parseProbe(out);
    const old = d.get('fstab') === '1' ? (d.text('text_b64') ?? '') : '';
    const mounted = d.get('mounted') === '1';
    const data: MountData = {};
    let edited: { text: string; changed: boolean } = { text: old, changed: false };
    if (p.state === 'mounted' || p.state === 'present') edited = setMount(old, p);
    else if (p.state === 'absent' || p.state === 'absent_from_fstab') edited = unsetMount(old, p);
    if (edited.changed) data.fstab = edited.text;
    if (p.state === 'mounted') {
      if (d.get('dir') === 'other') return { kind: 'blocked', reason: `${p.path} exists and is not a directory` };
      if (d.get('dir') === '0') data.mkdir = true;
      if (!mounted) data.mount = true;
      else if (edited.changed) data.remount = true;
    } else if (p.state === 'unmounted') {
      if (mounted) data.umount = true;
    } else if (p.state === 'absent' && edited.changed) {
      if (mounted) data.umount = true;
      if (d.get('dir') === '1') data.rmdir = true;
    } else if (p.state === 'remounted') data.remount = true;
    if (!Object.keys(data).length) return { kind: 'ok' };
    const diff = data.fstab !== undefined ? unifiedDiff(p.fstab, d.get('fstab') === '1' ? old : undefined, data.fstab) : undefined;
    return { kind: 'change', summary: describe(data, p), diff, data };
  },
  apply(p, { data }) {
    const tab = p.fstab === '/etc/fstab' ? '' : `-T ${q(p.fstab)} `;
    let s = 'set -e\n';
    if (data.fstab !== undefined) s += writeFileSh({ path: p.fstab, data: Buffer.from(data.fstab), backup: p.backup });
    if (data.mkdir) s += `mkdir -p -- ${q(p.path)}\n`;
    if (data.mount) s += `mount ${tab}-- ${q(p.path)}\n`;
    if (data.remount) s += `mount ${tab}-o remount -- ${q(p.path)}\n`;
    if (data.umount) s += `umount -- ${q(p.path)}\n`;
    if (data.rmdir) s += `rmdir -- ${q(p.path)}\n`;
    return s;
  },
  resources: (p) => [`file:${p.fstab}`, `mount:${p.path}`],
};
