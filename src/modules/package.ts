// package: Debian packages through dpkg-query (probe) and apt-get (apply).
import { Type } from '@sinclair/typebox';
import type { Change, HostFacts, Module, Plan, ProbeBatch } from '../model/module.js';
import { paramsObject, rawSchema, stringEnum, withDefault, type Params } from '../model/params.js';
import { q, qa } from './lib/sh.js';
import { parseProbe } from './lib/kv.js';

const PACKAGE = '^[a-z0-9][a-z0-9+.-]*(:[a-z0-9]+)?(=[A-Za-z0-9.+~:-]+)?$';

const schema = paramsObject({
  name: rawSchema<string | string[]>({
    anyOf: [
      { type: 'string', pattern: PACKAGE },
      { type: 'array', minItems: 1, items: { type: 'string', pattern: PACKAGE } },
    ],
    description: 'package name(s), optionally name=version',
  }),
  state: withDefault(stringEnum(['present', 'absent', 'latest']), 'present'),
  update_cache: withDefault(stringEnum(['auto', 'always', 'never']), 'auto'),
  cache_valid_time: withDefault(Type.Integer({ minimum: 0 }), 3600),
  install_recommends: withDefault(Type.Boolean(), false),
  purge: withDefault(Type.Boolean(), false),
});
export type PackageParams = Params<typeof schema>;

export interface PackagePlanData {
  install: string[];
  remove: string[];
  update: boolean;
}

const LISTS = '/var/lib/apt/lists';
const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120';

/** "nginx=1.22-1" -> { pkg: "nginx", version: "1.22-1" }. */
function splitName(spec: string): { pkg: string; version?: string } {
  const i = spec.indexOf('=');
  return i < 0 ? { pkg: spec } : { pkg: spec.slice(0, i), version: spec.slice(i + 1) };
}

export function packageNames(p: PackageParams): string[] {
  return typeof p.name === 'string' ? [p.name] : p.name;
}

const DPKG_FORMAT = "-f='pkg=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n'";

/** One dpkg-query for all names (unknown names print nothing and make it exit 1: a state),
 * its output in the variable `v` (a command substitution of one command costs the host that
 * process, no file, no fork more). */
export function dpkgQuerySh(pkgs: string[], v: string): string {
  return `${v}=$(dpkg-query -W ${DPKG_FORMAT} ${qa(pkgs)} 2>/dev/null)`;
}

/** The facts section's own dpkg-query (engine/facts.ts) also answers these names, so the
 * first round trip runs dpkg-query (which parses the whole status database) once: its output
 * is left in the shell variable `out`, and the names it answers, once it ran well, in `names`
 * (the facts run in the script's own shell: Section.inline, `keep`). Only the first round trip
 * has a facts section and it changes nothing, so the answer is never stale. */
export const DPKG_SHARED = { out: 'fleet_dqf', names: 'fleet_dqn' } as const;

/** Each line of the variable `v` as `$l` in a loop with body `body`: builtins only, where a
 * here-document of more than a pipe's buffer would fork. Globbing and IFS are as before after. */
const eachLine = (v: string, body: string): string => `set -f; IFS='\n'; for l in $${v}; do unset IFS; ${body}; done; unset IFS; set +f`;

/** The facts' query: openssh-server's version (fact `openssh`) and the names given. */
export function factsDpkgSh(names: string[]): string {
  const all = [...new Set(['openssh-server', ...names])].sort();
  return (
    `${dpkgQuerySh(all, DPKG_SHARED.out)}; if [ $? -gt 1 ]; then ${DPKG_SHARED.names}=; else ${DPKG_SHARED.names}=${q(all.join(' '))}; fi\n` +
    `o=; ${eachLine(DPKG_SHARED.out, `case $l in "pkg=openssh-server\t"*|"pkg=openssh-server:"*) o=\${l##*\t};; esac`)}\n` +
    'echo "openssh=$o"\n'
  );
}

/** dpkg-query's lines for these names, read from the facts' answer when it holds them all, and
 * the package index age, only when a plan could install (planPackage reads it only then): a
 * name pinned to a version (`pinned`), or a name without an installed line. The rule is
 * `listsNeeded`, which the merged probe's split applies to each task. */
export function dpkgProbeSh(pkgs: string[], pinned: boolean): string {
  const names = qa(pkgs);
  const words = ` ${[...new Set(pkgs)].join(' ')} `;
  return [
    `d=; if [ -n "\${${DPKG_SHARED.names}:-}" ]; then d=1; for n in ${names}; do case " $${DPKG_SHARED.names} " in *" $n "*) ;; *) d=; break;; esac; done; fi`,
    `if [ -n "$d" ]; then d=$${DPKG_SHARED.out}; else ${dpkgQuerySh(pkgs, 'd')} || :; fi`,
    // w: the names not yet seen installed; "!" once a line is not installed.
    `w=${q(words)}`,
    eachLine('d', `n=\${l#pkg=}; n=\${n%%\t*}; n=\${n%:*}; case " ${pkgs.join(' ')} " in *" $n "*) ;; *) continue;; esac; printf '%s\\n' "$l"; s=\${l#*\t}; case $s in ?i*) case $w in *" $n "*) w="\${w%%" $n "*} \${w#*" $n "}";; esac;; *) w="$w! ";; esac`),
    `${pinned ? '' : 'case $w in *[!\\ ]*) '}${LISTS_AGE_SH.trimEnd()}${pinned ? '' : ';; esac'}`,
  ].join('\n') + '\n';
}

/** Whether a probe of `names` prints the index age (dpkgProbeSh), from its pkg= lines. */
export function listsNeeded(names: string[], pinned: boolean, pkgLines: string[]): boolean {
  if (pinned) return true;
  const left = new Set(names);
  for (const l of pkgLines) {
    const [name, status] = l.slice('pkg='.length).split('\t');
    const n = name.replace(/:[^:]*$/, '');
    if (!names.includes(n)) continue;
    if (status?.[1] === 'i') left.delete(n);
    else return true;
  }
  return left.size > 0;
}

/** Age of the package index: the newest *_Packages* list (none at all means never updated),
 * found with the shell's own -nt, one stat for its time. The host's clock is a fact (now),
 * not read here: a probe that printed the time would never read the same twice, and a
 * pipelined task's guard compares its probe byte for byte. */
export const LISTS_AGE_SH = `set -- ${LISTS}/*_Packages*; if [ -e "$1" ]; then n=${LISTS}; for f; do [ "$f" -nt "$n" ] && n=$f; done; echo "lists_mtime=$(stat -c %Y -- "$n")"; else echo lists_mtime=0; fi\n`;

export function probePackage(p: PackageParams): string {
  const pkgs = packageNames(p).map((n) => splitName(n).pkg);
  // latest: the candidate decides, so the index age is always printed.
  let s = dpkgProbeSh(pkgs, p.state === 'latest' || packageNames(p).some((n) => n.includes('=')));
  if (p.state === 'latest') {
    s += `LC_ALL=C apt-cache policy ${qa(pkgs)} 2>/dev/null | while IFS= read -r l; do case "$l" in [!\\ ]*:) n=\${l%:}; echo "policy_pkg=$n";; *Candidate:*) echo "candidate=$n \${l##*: }";; esac; done\n`;
  }
  return s;
}

/** present/absent ask dpkg and the index age only, which merge across tasks (modules/batchers.ts).
 * Not `latest` (apt-cache policy per task) nor `name:arch` (dpkg's answer names no arch, so it
 * could not be told apart from the other architectures' lines). */
export function batchPackage(p: PackageParams): ProbeBatch | undefined {
  if (p.state === 'latest') return undefined;
  const names = packageNames(p).map((n) => splitName(n).pkg);
  return names.every((n) => !n.includes(':')) ? { kind: 'dpkg', names, pinned: packageNames(p).some((n) => n.includes('=')) } : undefined;
}

interface Installed {
  status: string; // "ii ", "rc ", "iU "
  version: string;
}

export function planPackage(p: PackageParams, out: string, facts?: HostFacts): Plan<PackagePlanData> {
  const d = parseProbe(out);
  const state = p.state;
  const installed = new Map<string, Installed>();
  for (const row of d.all('pkg')) {
    const [name, status, version] = row.split('\t');
    installed.set(name.replace(/:[a-z0-9]+$/, ''), { status: status ?? '', version: version ?? '' });
  }
  const candidates = new Map<string, string>();
  for (const row of d.all('candidate')) {
    const [name, cand] = row.split(' ');
    candidates.set(name.replace(/:[a-z0-9]+$/, ''), cand);
  }
  const install: string[] = [];
  const remove: string[] = [];
  const why: string[] = [];
  for (const spec of packageNames(p)) {
    const { pkg, version } = splitName(spec);
    const cur = installed.get(pkg);
    // db:Status-Abbrev: want (u/i/h/r/p), state (n not-installed, c config-files, i installed,
    // H/U/F/W/t half-way states), error flag.
    const st = cur?.status[1] ?? 'n';
    const ok = st === 'i';
    const broken = !ok && st !== 'n' && st !== 'c';
    if (state === 'absent') {
      if (st !== 'n' && (st !== 'c' || p.purge)) {
        remove.push(pkg);
        why.push(`${p.purge ? 'purge' : 'remove'} ${pkg}`);
      }
      continue;
    }
    if (!ok) {
      install.push(spec);
      why.push(broken ? `reinstall ${pkg} (dpkg status "${cur?.status.trim()}")` : `install ${spec}`);
    } else if (version !== undefined && cur && cur.version !== version) {
      install.push(spec);
      why.push(`${pkg} ${cur.version} -> ${version}`);
    } else if (state === 'latest') {
      const cand = candidates.get(pkg);
      if (cur && cand && cand !== '(none)' && cand !== cur.version) {
        install.push(pkg);
        why.push(`upgrade ${pkg} ${cur.version} -> ${cand}`);
      }
    }
  }
  if (!install.length && !remove.length) return { kind: 'ok' };
  // The host's clock from its facts (read in the run's first round trip); an output with a
  // now= line of its own is read as it says; with neither, the controller's clock.
  const now = Number(d.get('now') ?? facts?.now ?? Math.floor(Date.now() / 1000));
  const age = now - Number(d.get('lists_mtime') ?? 0);
  const stale = Number(d.get('lists_mtime') ?? 0) === 0 || age > p.cache_valid_time;
  const mode = p.update_cache;
  const update = install.length > 0 && (mode === 'always' || (mode === 'auto' && stale));
  const data: PackagePlanData = { install, remove, update };
  return { kind: 'change', summary: why.join(', ') + (update ? ' (after apt-get update)' : ''), data };
}

export function applyPackage(p: PackageParams, { data }: Change<PackagePlanData>): string {
  let s = '';
  if (data.update) s += `${APT} update\n`;
  if (data.install.length) {
    const rec = p.install_recommends ? '--install-recommends' : '--no-install-recommends';
    s += `${APT} ${rec} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install ${qa(data.install)}\n`;
  }
  if (data.remove.length) s += `${APT} ${p.purge ? 'purge' : 'remove'} ${qa(data.remove)}\n`;
  return s;
}

export const pkg: Module<typeof schema, PackagePlanData> = {
  name: 'package',
  schema,
  probe: (p) => probePackage(p),
  batchProbe: (p) => batchPackage(p),
  plan: (p, out, facts) => planPackage(p, out, facts),
  apply: (p, plan) => applyPackage(p, plan),
  resources: (p) => packageNames(p).map((n) => `pkg:${splitName(n).pkg}`),
};
