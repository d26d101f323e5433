// apt_repository (Ansible's): one-line apt sources ("deb [opts] URI suite comps"), read and
// written as Ansible's sourceslist does: every *.list file and sources.list parsed, a repository
// present anywhere (disabled: enabled again) is not added twice, a new one goes to its own file
// (Ansible's suggested name, or filename.list), absent removes it everywhere and deletes a file
// left empty; a changed file is rewritten in Ansible's normalised form. Offline-friendly: no
// key is fetched (use signed-by= with a key the role copies); apt-get update only after a change.
import { Type } from '@sinclair/typebox';
import type { Module } from '../model/module.js';
import { paramsObject, stringEnum, withDefault, type Params } from '../model/params.js';
import { unifiedDiff } from './lib/diff.js';
import { writeFileSh } from './lib/filewrite.js';
import { parseProbe } from './lib/kv.js';
import { modeSchema, normaliseMode } from './lib/mode.js';
import { q } from './lib/sh.js';

const SOURCES_LIST = '/etc/apt/sources.list';
const SOURCES_DIR = '/etc/apt/sources.list.d';
const TYPES = ['deb', 'deb-src'];

const schema = paramsObject({
  repo: Type.String({ minLength: 1, pattern: '^[^\\n]*$' }),
  state: withDefault(stringEnum(['present', 'absent'] as const), 'present'),
  filename: Type.Optional(Type.String({ minLength: 1, pattern: '^[^/\\n]+$' })),
  mode: Type.Optional(modeSchema),
  update_cache: withDefault(Type.Boolean(), true),
});
type RepoParams = Params<typeof schema>;

interface Source {
  valid: boolean;
  enabled: boolean;
  source: string;
  comment: string;
  raw: string;
}

/** Ansible's _parse of one sources.list line. */
export function parseSourceLine(raw: string): Source {
  let line = raw.trim();
  let enabled = true;
  let comment = '';
  if (line.startsWith('#')) {
    enabled = false;
    line = line.slice(1);
  }
  const i = line.indexOf('#');
  if (i > 0) {
    comment = line.slice(i + 1).trim();
    line = line.slice(0, i);
  }
  let source = line.trim();
  let valid = false;
  if (source) {
    const chunks = source.split(/\s+/);
    if (TYPES.includes(chunks[0])) {
      valid = true;
      source = chunks.join(' ');
    }
  }
  return { valid, enabled, source, comment, raw };
}

/** Ansible's dump of one line: a valid source normalised, anything else as it was. */
function render(s: Source): string {
  if (!s.valid) return s.raw + '\n';
  return `${s.enabled ? '' : '# '}${s.source}${s.comment ? ` # ${s.comment}` : ''}\n`;
}

/** Ansible's _suggest_filename: the URI's host and path, every other character an underscore. */
export function suggestFilename(source: string, filename?: string): string {
  if (filename !== undefined) return `${filename}.list`;
  const line = source.replace(/\[[^\]]+\]/g, '').replace(/\w+:\/\//g, '');
  const parts = line.split(/\s+/).filter((x) => x && !TYPES.includes(x));
  let first = parts[0] ?? '';
  if (first.includes('@')) first = first.split('@').slice(1).join('@');
  return `${first.replace(/[^a-zA-Z0-9]/g, ' ').split(/\s+/).filter(Boolean).join('_')}.list`;
}

export function repoProblem(p: RepoParams): string | undefined {
  if (p.repo.startsWith('ppa:')) return 'PPAs need Launchpad (network, key fetching): write the deb line with signed-by= and copy its key';
  const s = parseSourceLine(p.repo);
  if (!s.valid || !s.enabled) return `Invalid repository string: ${p.repo}`;
  if (p.repo.trim().startsWith('deb822') || /^Types:/m.test(p.repo)) return 'deb822 sources are not supported';
  return undefined;
}

/** Every file's text after the edit (undefined: deleted); only files that change. */
export function editSources(files: Map<string, string>, p: RepoParams): Map<string, string | undefined> {
  const want = parseSourceLine(p.repo).source;
  const parsed = new Map([...files].map(([f, text]) => [f, text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined).map(parseSourceLine)]));
  const before = new Map([...parsed].map(([f, ls]) => [f, ls.map(render).join('')]));
  if (p.state === 'present') {
    let found = false;
    for (const ls of parsed.values())
      for (const s of ls)
        if (s.valid && s.source === want) {
          s.enabled = true;
          found = true;
        }
    if (!found) {
      const file = `${SOURCES_DIR}/${suggestFilename(want, p.filename)}`;
      const ls = parsed.get(file) ?? [];
      ls.push({ valid: true, enabled: true, source: want, comment: '', raw: want });
      parsed.set(file, ls);
    }
  } else {
    for (const [f, ls] of parsed) parsed.set(f, ls.filter((s) => !(s.valid && s.source === want)));
  }
  const out = new Map<string, string | undefined>();
  for (const [f, ls] of parsed) {
    const after = ls.map(render).join('');
    if (after === before.get(f) && files.has(f)) continue;
    // Ansible's save: a file with no lines left is removed.
    out.set(f, ls.length ? after : undefined);
  }
  return out;
}

interface RepoData {
  files: [string, string | undefined][];
}

export const aptRepository: Module<typeof schema, RepoData> = {
  name: 'apt_repository',
  schema,
  probe: () =>
    `for f in ${SOURCES_LIST} ${SOURCES_DIR}/*.list; do [ -f "$f" ] || continue; printf 'file=%s\\ntext_b64=' "$f"; base64 -w0 < "$f"; echo; done\necho listed=1\n`,
  plan(p, out) {
    const problem = repoProblem(p);
    if (problem) return { kind: 'blocked', reason: problem };
    const d = parseProbe(out);
    const names = d.all('file');
    const texts = d.all('text_b64');
    const files = new Map(names.map((f, i) => [f, Buffer.from(texts[i] ?? '', 'base64').toString('utf8')]));
    const edits = editSources(files, p);
    if (!edits.size) return { kind: 'ok' };
    const diff = [...edits].map(([f, t]) => unifiedDiff(f, files.get(f), t ?? '')).join('');
    const summary = `${p.state === 'present' ? 'add' : 'remove'} ${parseSourceLine(p.repo).source} (${[...edits.keys()].join(', ')})${p.update_cache ? ', apt-get update' : ''}`;
    return { kind: 'change', summary, diff, data: { files: [...edits] } };
  },
  apply(p, { data }) {
    let s = 'set -e\n';
    for (const [f, text] of data.files)
      s += text === undefined ? `rm -f -- ${q(f)}\n` : writeFileSh({ path: f, data: Buffer.from(text), mode: p.mode !== undefined ? normaliseMode(p.mode) : undefined, defaultMode: '0644' });
    if (p.update_cache) s += 'DEBIAN_FRONTEND=noninteractive apt-get update -q\n';
    return s;
  },
  resources: () => [`file:${SOURCES_DIR}`, 'apt:lists'],
};
