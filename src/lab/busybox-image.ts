// A tiny image for the swarm tests and the site benchmark, built without docker, registry or
// internet: Debian's busybox-static package (from this machine's own package source) as a
// one-layer image in `docker save` format, tags fleet-lab/busybox:test. Cached under
// /var/cache/fleet-lab/images/, keyed by the package's version and this builder's version, so
// CI builds it once.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeImageArchive } from './deb-image.js';

export const TEST_IMAGE = 'fleet-lab/busybox:test';
const CACHE = '/var/cache/fleet-lab/images';
const BUILDER_VERSION = 1;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const run = (argv: string[], cwd?: string) => execFileSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Deterministic tar of a directory's contents (sorted, owner 0, mtime 0). */
function tarDir(dir: string, out: string): void {
  run(['tar', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', '-C', dir, '-cf', out, '.']);
}

export function testImageArchive(): string {
  const version = run(['apt-cache', 'policy', 'busybox-static']).match(/Candidate:\s*(\S+)/)?.[1];
  if (!version || version === '(none)') throw new Error('busybox-static is not available from this machine\'s package sources (apt-get update first)');
  const arch = run(['dpkg', '--print-architecture']).trim();
  const key = sha256(JSON.stringify({ version, arch, BUILDER_VERSION, TEST_IMAGE })).slice(0, 12);
  const file = path.join(CACHE, `busybox-${key}.tar`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(CACHE, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-image-'));
  try {
    run(['apt-get', 'download', `busybox-static=${version}`], work);
    const deb = fs.readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download busybox-static produced no .deb');
    const root = path.join(work, 'rootfs');
    run(['dpkg-deb', '-x', path.join(work, deb), root]);
    fs.rmSync(path.join(root, 'usr'), { recursive: true, force: true });
    const bin = path.join(root, 'bin');
    for (const applet of run([path.join(bin, 'busybox'), '--list']).split('\n').map((s) => s.trim()).filter(Boolean)) {
      if (applet !== 'busybox' && !fs.existsSync(path.join(bin, applet))) fs.symlinkSync('busybox', path.join(bin, applet));
    }
    for (const d of ['tmp', 'etc', 'www']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    const layerTar = path.join(work, 'layer.tar');
    tarDir(root, layerTar);
    writeImageArchive({ layerTar, work, ref: TEST_IMAGE, arch, config: { Env: ['PATH=/bin'], Cmd: ['sh'], WorkingDir: '/' }, file });
    return file;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
