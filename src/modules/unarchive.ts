// unarchive (Ansible's): an archive (tar, tar.gz/tgz, tar.bz2, tar.xz, or zip when the host
// has unzip) extracted into an existing directory. src is the controller's file (role files/,
// then as given) carried in the script, or with remote_src a file already on the host. The
// probe extracts a copy beside it and compares it with dest member by member (type, mode,
// owner and group as root, mtime, size and content, as GNU tar's --diff, Ansible's test):
// nothing differs is ok; only owner/group/mode differ sets those; anything else extracts.
import { Type } from '@sinclair/typebox';
import type { Module, ModuleResult } from '../model/module.js';
import { paramsObject, withDefault, type Params } from '../model/params.js';
import { unifiedDiff } from './lib/diff.js';
import { parseProbe } from './lib/kv.js';
import { isAbsoluteMode, normaliseMode } from './lib/mode.js';
import { attrProps, pathSchema } from './lib/schema.js';
import { checkExtraOpts } from './lib/unarchive-opts.js';
import { unarchiveApplySh, unarchiveProbeSh, type UnarchiveShParams } from './lib/unarchive-sh.js';

const strings = withDefault(Type.Array(Type.String({ minLength: 1 })), []);

const schema = paramsObject({
  src: Type.String({ minLength: 1 }),
  remote_src: withDefault(Type.Boolean(), false),
  dest: pathSchema,
  creates: Type.Optional(pathSchema),
  ...attrProps,
  extra_opts: strings,
  exclude: strings,
  include: strings,
  list_files: withDefault(Type.Boolean(), false),
});
type UnarchiveParams = Params<typeof schema> & { content_b64?: string };

interface UnarchiveData {
  /** Members differ in more than owner/group/mode: extract again. */
  extract: boolean;
}

const ATTR_KINDS = new Set(['mode', 'owner', 'group']);

function shParams(p: UnarchiveParams): UnarchiveShParams {
  if (!p.remote_src && p.content_b64 === undefined)
    throw new Error(`unarchive ${p.src}: the archive was not read (prepare() did not run?)`);
  if (p.include.length && p.exclude.length) throw new Error('parameters are mutually exclusive: exclude|include');
  checkExtraOpts(p.extra_opts);
  for (const [k, v] of [...p.include.map((x) => ['include', x]), ...p.exclude.map((x) => ['exclude', x])])
    if (v.startsWith('-')) throw new Error(`unarchive ${k} '${v}': a member name or pattern may not start with '-' (tar and unzip would read it as an option)`);
  return {
    src: p.src,
    remote_src: p.remote_src,
    dest: p.dest,
    extra_opts: p.extra_opts,
    exclude: p.exclude,
    include: p.include,
    owner: p.owner,
    group: p.group,
    // chmod reads octal and symbolic modes as Ansible does; a YAML number is an octal value.
    mode: p.mode === undefined ? undefined : isAbsoluteMode(p.mode) && typeof p.mode === 'number' ? normaliseMode(p.mode) : String(p.mode),
    bytes: p.content_b64 === undefined ? undefined : Buffer.from(p.content_b64, 'base64'),
  };
}

/** Ansible's message when no handler fits. */
function noHandler(p: UnarchiveParams, reason: string): string {
  return `Failed to find handler for "${p.src}". Make sure the required command to extract the file is installed.\n${reason.trim()}`;
}

/** The plan's --diff text: each differing member, then the old and new text of a few small files. */
function diffText(p: UnarchiveParams, diffs: [string, string][], shown: string[]): string {
  let s = diffs.map(([kinds, name]) => `${p.dest}/${name}: ${kinds.replace(/,/g, ', ')}\n`).join('');
  for (const c of shown) {
    const [name, old, now] = c.split(':');
    s += unifiedDiff(
      `${p.dest}/${Buffer.from(name, 'base64').toString('utf8')}`,
      old === '-' ? undefined : Buffer.from(old, 'base64'),
      Buffer.from(now ?? '', 'base64'),
    );
  }
  return s;
}

/** What Ansible returns that fleet knows: dest, src, handler-independent; files with list_files. */
function registered(p: UnarchiveParams, files: string[]) {
  return { dest: p.dest, src: p.src, ...(p.list_files ? { files } : {}) };
}

export const unarchive: Module<typeof schema, UnarchiveData, UnarchiveParams> = {
  name: 'unarchive',
  schema,
  prepare(p, ctx) {
    if (p.remote_src) return p;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p.src))
      throw new Error(`unarchive src '${p.src}' is a URL: fetch it with get_url, then unarchive it with remote_src: true`);
    return { ...p, content_b64: ctx.readRoleFile(p.src).toString('base64') };
  },
  probe: (p) => unarchiveProbeSh(shParams(p), p.creates, p.list_files),
  plan(p, out) {
    const d = parseProbe(out);
    if (d.get('creates') === '1') return { kind: 'ok', note: `skipped, since ${p.creates} exists` };
    if (d.get('dest') === '0') return { kind: 'blocked', reason: `Destination '${p.dest}' is not a directory` };
    if (d.get('src_missing') === '1') return { kind: 'blocked', reason: `Source '${p.src}' does not exist` };
    const missing = d.get('missing');
    if (missing)
      return {
        kind: 'blocked',
        reason: noHandler(p, `Unable to find required '${missing.split(' ').join("' or '")}' binary in the path.`),
      };
    const listErr = d.text('list_err_b64');
    if (listErr !== undefined)
      return {
        kind: 'blocked',
        reason: noHandler(p, `Command "${d.get('handler') === 'zip' ? 'zipinfo' : 'tar'}" could not handle archive: ${listErr}`),
      };
    const unsafe = d.text('unsafe_b64');
    if (unsafe !== undefined) return { kind: 'blocked', reason: `refused ${p.src}: ${unsafe.trim()} (nothing was extracted)` };
    for (const [k, what] of [
      ['x_err_b64', 'failed to unpack'],
      ['attr_err_b64', 'failed to set owner/group/mode on'],
    ] as const) {
      const err = d.text(k);
      if (err !== undefined) return { kind: 'blocked', reason: `${what} ${p.src} (to compare with ${p.dest}): ${err.trim()}` };
    }
    d.need('members');
    const diffs = d.all('e').map((l) => l.split('\t', 2) as [string, string]);
    if (!diffs.length) return { kind: 'ok', registered: registered(p, d.all('f')) };
    const extract = diffs.some(([kinds]) => kinds.split(',').some((k) => !ATTR_KINDS.has(k)));
    const names = diffs.slice(0, 5).map(([kinds, name]) => `${name} (${kinds.replace(/,/g, ', ')})`);
    const more = diffs.length > 5 ? ` and ${diffs.length - 5} more` : '';
    return {
      kind: 'change',
      summary: `${extract ? 'unarchive' : 'set owner/group/mode from'} ${p.src} into ${p.dest}: ${diffs.length} of ${d.get('members')} differ: ${names.join(', ')}${more}`,
      diff: diffText(p, diffs, d.all('c')),
      data: { extract },
    };
  },
  apply: (p, change) => unarchiveApplySh(shParams(p), change.data.extract),
  result(p, outcome): ModuleResult {
    if (outcome.rc !== 0) return { failed: true, msg: `failed to unpack ${p.src} to ${p.dest}: ${outcome.stderr.trim()}` };
    const files = outcome.stdout
      .split('\n')
      .filter((l) => l.startsWith('f='))
      .map((l) => l.slice(2));
    return { failed: false, registered: registered(p, files) };
  },
  resources: (p) => [`file:${p.dest}`],
};
