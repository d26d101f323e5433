// sysctl: a kernel parameter, persisted in a sysctl.d file and set live.
import { Type } from '@sinclair/typebox';
import type { Change, Module, Plan } from '../model/module.js';
import { paramsObject, rawSchema, withDefault, type Params } from '../model/params.js';
import { q } from './lib/sh.js';
import { parseProbe } from './lib/kv.js';
import { presentAbsent } from './lib/schema.js';
import { probePath, parsePath } from './lib/filestate.js';
import { writeFileSh } from './lib/filewrite.js';
import { splitText, joinText } from './lib/lines.js';
import { unifiedDiff } from './lib/diff.js';


export interface SysctlPlanData {
  /** New content of sysctl_file, when it changes. */
  content?: string;
  /** Set the live value. */
  live: boolean;
}

export const DEFAULT_SYSCTL_FILE = '/etc/sysctl.d/99-fleet.conf';

const schema = paramsObject(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_./-]*$' }),
    value: Type.Optional(rawSchema<string | number>({ type: ['string', 'integer'] })),
    state: presentAbsent,
    sysctl_file: withDefault(Type.String({ pattern: '^/' }), DEFAULT_SYSCTL_FILE),
    reload: withDefault(Type.Boolean({ description: 'also set the running value' }), true),
  },
  { if: { properties: { state: { const: 'absent' } }, required: ['state'] }, else: { required: ['value'] } },
);
export type SysctlParams = Params<typeof schema>;

/** Kernel values print tabs between fields ("32768\t60999"): compare on single spaces. */
function norm(v: string): string {
  return v.trim().split(/\s+/).join(' ');
}

function procPath(name: string): string {
  // Dots separate levels; a slash in a name (interface "eth0.100" written eth0/100) is a dot.
  return '/proc/sys/' + name.split('.').map((s) => s.replace(/\//g, '.')).join('/');
}

/** Does this file line set `name`? ("net.ipv4.ip_forward = 1", "net/ipv4/ip_forward=1", "-name = v") */
function setsName(line: string, name: string): boolean {
  const m = /^\s*-?\s*([^#;=\s][^=]*?)\s*=/.exec(line);
  return m !== null && m[1].replace(/\//g, '.') === name;
}

export function probeSysctl(p: SysctlParams): string {
  const file = p.sysctl_file;
  // One tr: /proc/sys files do not support the byte-wise reads of sh's `read` builtin, and
  // multi-line values must stay on one key=value line.
  return (
    `if [ -r ${q(procPath(p.name))} ]; then printf 'live=%s\\n' "$(tr '\\n' ' ' < ${q(procPath(p.name))})"; else echo live_missing=1; fi\n` +
    probePath(file, { follow: true, alwaysContent: true, parent: true })
  );
}

export function planSysctl(p: SysctlParams, out: string): Plan<SysctlPlanData> {
  const d = parseProbe(out);
  const file = p.sysctl_file;
  const s = parsePath(d);
  if (s.type === 'directory' || s.type === 'other') return { kind: 'blocked', reason: `${file} exists as a ${s.type}, expected a file` };
  const old = s.type === 'file' ? (s.content ?? Buffer.alloc(0)).toString('utf8') : '';
  const t = splitText(old);
  const why: string[] = [];
  let live = false;
  if (p.state === 'absent') {
    // Absent only stops persisting the value; the running kernel keeps what it has.
    t.lines = t.lines.filter((l) => !setsName(l, p.name));
  } else {
    if (p.value === undefined) throw new Error(`sysctl ${p.name}: state present needs a value`);
    const want = norm(String(p.value));
    const line = `${p.name} = ${want}`;
    const idx = t.lines.map((l, i) => (setsName(l, p.name) ? i : -1)).filter((i) => i >= 0);
    if (idx.length) {
      // Keep the last setting (the one that wins), rewritten; drop earlier duplicates.
      t.lines[idx[idx.length - 1]] = line;
      for (const i of idx.slice(0, -1).reverse()) t.lines.splice(i, 1);
    } else {
      t.lines.push(line);
      t.finalNewline = true;
    }
    if (d.get('live_missing') === '1') return { kind: 'blocked', reason: `kernel parameter ${p.name} does not exist on this host` };
    const cur = norm(d.get('live') ?? '');
    if (p.reload && cur !== want) {
      live = true;
      why.push(`${p.name} ${cur} -> ${want}`);
    }
  }
  const next = joinText(t);
  const content = next !== old ? next : undefined;
  if (content !== undefined) {
    if (s.type !== 'file' && s.parentExists === false) return { kind: 'blocked', reason: `directory of ${file} does not exist` };
    why.push(`${s.type === 'file' ? 'update' : 'create'} ${file}`);
  }
  if (!why.length) return { kind: 'ok' };
  const data: SysctlPlanData = { content, live };
  return {
    kind: 'change',
    summary: why.join(', '),
    diff: content !== undefined ? unifiedDiff(file, s.type === 'file' ? old : undefined, content) : undefined,
    data,
  };
}

export function applySysctl(p: SysctlParams, { data }: Change<SysctlPlanData>): string {
  let s = '';
  if (data.content !== undefined) s += writeFileSh({ path: p.sysctl_file, data: Buffer.from(data.content) });
  if (data.live) s += `sysctl -q -w ${q(`${p.name}=${norm(String(p.value))}`)}\n`;
  return s;
}

export const sysctl: Module<typeof schema, SysctlPlanData> = {
  name: 'sysctl',
  schema,
  probe: (p) => probeSysctl(p),
  plan: (p, out) => planSysctl(p, out),
  apply: (p, plan) => applySysctl(p, plan),
  resources: (p) => [`sysctl:${p.name}`, `file:${p.sysctl_file}`],
};
