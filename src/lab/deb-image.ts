// Container images for hosts with no registry and no internet, built on this machine from
// Debian packages only, without docker: the packages' dependency closure (apt-get download
// through this machine's package sources), unpacked with dpkg-deb into a usr-merged tree,
// then a spec's own setup (users, directories, an entrypoint), written as a one-layer
// `docker save` archive that the docker role's docker_images carries to the hosts.
// Maintainer scripts do not run (no chroot, no root needed inside): what they would do that
// an image needs (users, alternatives' symlinks) is the spec's setup. Each archive is cached
// under /var/cache/fleet-lab/images/, keyed by the exact package versions and the spec, and
// built under a lock, so CI and parallel test files build it once.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CACHE_DIR } from './instance.js';
import { withLock } from './lock.js';

export const IMAGE_CACHE = path.join(CACHE_DIR, 'images');
/** Bump when the way images are assembled changes, so cached archives are rebuilt. */
const BUILDER_VERSION = 2;

/** Always in the tree: the essential tools the entrypoints and the services' own scripts use
 * (dpkg's closure leaves them out, every Debian system has them). */
const ESSENTIAL = ['base-files', 'dash', 'coreutils', 'sed', 'grep', 'mawk', 'findutils', 'libc-bin', 'hostname'];

export interface DebImageSpec {
  /** Image reference as tagged, "name:tag". */
  ref: string;
  /** Debian packages to install (their Depends/Pre-Depends closure comes along). */
  packages: string[];
  /** Packages of the closure to leave out (documentation-only, JIT compilers, locale data). */
  exclude?: string[];
  /** Shell run on this machine with the tree's path as $1, after unpacking. */
  setup: string;
  /** Paths (relative to the tree) removed before packing. */
  prune?: string[];
  config: { Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; User?: string; WorkingDir?: string; ExposedPorts?: Record<string, object> };
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const run = (argv: string[], cwd?: string) =>
  execFileSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });

/** The install closure of the packages, as "name=version", sorted (virtual packages and
 * the excluded ones left out). */
export function closure(packages: string[], exclude: string[] = []): string[] {
  const out = run(['apt-cache', 'depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...packages, ...ESSENTIAL]);
  const names = [...new Set(out.split('\n').filter((l) => l && !l.startsWith(' ') && !l.includes('<')))].filter((n) => !exclude.includes(n)).sort();
  const policy = run(['apt-cache', 'policy', ...names]);
  const versions = new Map<string, string>();
  let current = '';
  for (const line of policy.split('\n')) {
    const pkg = /^(\S+):$/.exec(line);
    if (pkg) current = pkg[1];
    const cand = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (cand && current) versions.set(current, cand[1]);
  }
  return names.map((n) => {
    const v = versions.get(n);
    if (!v || v === '(none)') throw new Error(`image build: package ${n} has no installable version in this machine's package sources (apt-get update first)`);
    return `${n}=${v}`;
  });
}

function tarDir(dir: string, out: string): void {
  run(['tar', '--sort=name', '--mtime=@0', '--numeric-owner', '--format=gnu', '-C', dir, '-cf', out, '.']);
}

/** A one-layer `docker save` archive at `file` (written whole, then renamed into place):
 * the layer tar given, a config with `config` as the container's, tagged `ref`. */
export function writeImageArchive(o: { layerTar: string; work: string; ref: string; arch: string; config: object; file: string }): void {
  const image = path.join(o.work, 'image');
  fs.mkdirSync(image);
  const layerId = sha256(fs.readFileSync(o.layerTar));
  fs.mkdirSync(path.join(image, layerId));
  fs.renameSync(o.layerTar, path.join(image, layerId, 'layer.tar'));
  const config = JSON.stringify({ architecture: o.arch, os: 'linux', config: o.config, rootfs: { type: 'layers', diff_ids: [`sha256:${layerId}`] } });
  const configId = sha256(config);
  fs.writeFileSync(path.join(image, `${configId}.json`), config);
  fs.writeFileSync(path.join(image, 'manifest.json'), JSON.stringify([{ Config: `${configId}.json`, RepoTags: [o.ref], Layers: [`${layerId}/layer.tar`] }]));
  const tmp = `${o.file}.${process.pid}.tmp`;
  tarDir(image, tmp);
  fs.renameSync(tmp, o.file);
}

/** Where the archive of this spec is (or will be) cached. */
export function debImageArchivePath(spec: DebImageSpec): string {
  const arch = run(['dpkg', '--print-architecture']).trim();
  const pkgs = closure(spec.packages, spec.exclude);
  const key = sha256(JSON.stringify({ BUILDER_VERSION, arch, pkgs, spec })).slice(0, 12);
  const base = spec.ref.replace(/^.*\//, '').replace(/[^A-Za-z0-9._-]/g, '-');
  return path.join(IMAGE_CACHE, `${base}-${key}.tar`);
}

/** The `docker save` archive of the spec's image: from the cache, or built now (under a lock). */
export async function debImageArchive(spec: DebImageSpec, onProgress: (m: string) => void = () => {}): Promise<string> {
  const file = debImageArchivePath(spec);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(IMAGE_CACHE, { recursive: true });
  return withLock(`${file}.lock`, async () => {
    if (fs.existsSync(file)) return file;
    const started = Date.now();
    onProgress(`building image ${spec.ref} from Debian packages (once; cached as ${file})`);
    build(spec, file);
    onProgress(`image ${spec.ref} built in ${Math.round((Date.now() - started) / 1000)} s (${(fs.statSync(file).size / 1048576).toFixed(1)} MiB)`);
    return file;
  }, { onWait: (pid) => onProgress(`waiting for pid ${pid}, which is building ${spec.ref}`) });
}

function build(spec: DebImageSpec, file: string): void {
  const arch = run(['dpkg', '--print-architecture']).trim();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-deb-image-'));
  try {
    const debs = path.join(CACHE_DIR, 'debs');
    fs.mkdirSync(debs, { recursive: true });
    const pkgs = closure(spec.packages, spec.exclude);
    // apt-get download names files NAME_VERSION_ARCH.deb (':' in versions as %3a); a shared
    // cache with the lab base's debs, so a package is fetched once.
    const fileOf = (p: string) => {
      const [n, v] = p.split('=');
      return fs.readdirSync(debs).find((f) => f.startsWith(`${n}_${v.replace(/:/g, '%3a')}_`) && f.endsWith('.deb'));
    };
    const missing = pkgs.filter((p) => !fileOf(p));
    if (missing.length) run(['apt-get', 'download', ...missing], debs);
    const root = path.join(work, 'rootfs');
    fs.mkdirSync(path.join(root, 'usr'), { recursive: true });
    for (const d of ['bin', 'sbin', 'lib', 'lib64']) {
      fs.mkdirSync(path.join(root, 'usr', d), { recursive: true });
      fs.symlinkSync(`usr/${d}`, path.join(root, d));
    }
    for (const p of pkgs) {
      const deb = fileOf(p);
      if (!deb) throw new Error(`image build: apt-get download ${p} left no .deb in ${debs}`);
      // --keep-directory-symlink: ./bin/x lands in usr/bin through the merged /usr link.
      execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C "$2"', 'sh', path.join(debs, deb), root], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    for (const d of ['tmp', 'run', 'var/tmp']) fs.mkdirSync(path.join(root, d), { recursive: true, mode: 0o1777 });
    fs.chmodSync(path.join(root, 'tmp'), 0o1777);
    fs.chmodSync(path.join(root, 'var/tmp'), 0o1777);
    if (!fs.existsSync(path.join(root, 'usr/bin/sh'))) fs.symlinkSync('dash', path.join(root, 'usr/bin/sh'));
    if (!fs.existsSync(path.join(root, 'usr/bin/awk'))) fs.symlinkSync('mawk', path.join(root, 'usr/bin/awk'));
    execFileSync('sh', ['-ec', spec.setup, 'setup', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const p of [...(spec.prune ?? []), 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/lintian', 'var/cache/apt']) {
      fs.rmSync(path.join(root, p), { recursive: true, force: true });
    }
    const layerTar = path.join(work, 'layer.tar');
    tarDir(root, layerTar);
    writeImageArchive({
      layerTar,
      work,
      ref: spec.ref,
      arch,
      config: { WorkingDir: '/', ...spec.config, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin', ...(spec.config.Env ?? [])] },
      file,
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
