// stat (Ansible's): a path's facts, read with the host's other probes (no round trip of its
// own), registered in Ansible's shape (result.stat.exists, .isdir, .mode, .checksum ...).
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import type { Vars } from '../model/inventory.js';
import { paramsObject, withDefault, type Params } from '../model/params.js';
import { q } from '../model/shell.js';

const ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

const schema = paramsObject({
  path: Type.String({ pattern: '^/' }),
  follow: withDefault(Type.Boolean(), false),
  get_checksum: withDefault(Type.Boolean(), true),
  checksum_algorithm: withDefault(Type.Union(ALGORITHMS.map((a) => Type.Literal(a))), 'sha1'),
});
type StatParams = Params<typeof schema>;

const TYPES: Record<string, string> = {
  'regular file': 'isreg',
  'regular empty file': 'isreg',
  directory: 'isdir',
  'symbolic link': 'islnk',
  'block special file': 'isblk',
  'character special file': 'ischr',
  fifo: 'isfifo',
  socket: 'issock',
};

export function statProbe(p: StatParams): string {
  const path = q(p.path);
  const fmt = 'exists=1\\nmode=%a\\ntype=%F\\nuid=%u\\ngid=%g\\npw_name=%U\\ngr_name=%G\\nsize=%s\\nmtime=%Y\\natime=%X\\nctime=%Z\\ninode=%i\\ndev=%d\\nnlink=%h\\n';
  const sum = `${p.checksum_algorithm}sum`;
  return [
    `if [ -e ${path} ] || [ -L ${path} ]; then`,
    `  stat ${p.follow ? '-L ' : ''}--printf '${fmt}' -- ${path}`,
    `  if [ -L ${path} ]; then printf 'lnk_target=%s\\nlnk_source=%s\\n' "$(readlink -- ${path})" "$(readlink -f -- ${path})"; fi`,
    p.get_checksum ? `  if [ -f ${path} ] && [ -r ${path} ]; then printf 'checksum=%s\\n' "$(${sum} < ${path} | cut -d' ' -f1)"; fi` : '',
    'else echo exists=0; fi',
  ]
    .filter(Boolean)
    .join('\n');
}

const NUMBERS = ['uid', 'gid', 'size', 'mtime', 'atime', 'ctime', 'inode', 'dev', 'nlink'];

export function parseStat(p: StatParams, out: string): Vars {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  if (kv.get('exists') !== '1') return { exists: false };
  const st: Vars = { exists: true, path: p.path, mode: (kv.get('mode') ?? '').padStart(4, '0') };
  for (const flag of new Set(Object.values(TYPES))) st[flag] = false;
  const type = TYPES[kv.get('type') ?? ''];
  if (type) st[type] = true;
  for (const k of NUMBERS) if (kv.has(k)) st[k] = Number(kv.get(k));
  for (const k of ['pw_name', 'gr_name', 'lnk_target', 'lnk_source', 'checksum']) if (kv.has(k)) st[k] = kv.get(k);
  return st;
}

export const stat: Action<typeof schema> = {
  name: 'stat',
  schema,
  // Every name a later task may read, for the checks made before contact.
  registers: () => ({
    stat: {
      ...Object.fromEntries([...Object.values(TYPES), 'exists'].map((k) => [k, false])),
      ...Object.fromEntries(NUMBERS.map((k) => [k, 0])),
      ...Object.fromEntries(['path', 'mode', 'pw_name', 'gr_name', 'lnk_target', 'lnk_source', 'checksum'].map((k) => [k, ''])),
    },
  }),
  probe: statProbe,
  run(p, ctx) {
    const probed = ctx.probed;
    if (!probed || probed.rc !== 0)
      return Promise.resolve({ status: 'failed', failure: { msg: `stat ${p.path}: reading it failed`, rc: probed?.rc, stderr: probed?.stderr } });
    return Promise.resolve({ status: 'ok', registered: { stat: parseStat(p, probed.stdout) } });
  },
};
