#!/usr/bin/env node
// fleet's command (package.json `bin`, copied to dist/fleet.cjs by scripts/bundle.mjs): runs
// dist/fleet-bundle.cjs, all of fleet in one file, through a V8 code cache. Start-up is most
// of a short run's CPU: reading one file instead of hundreds of modules halves it, and the
// cache spares compiling the functions that the same command compiled the first time.
// `fleet --version` is answered here, before any of fleet is read.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { isAscii } = require('node:buffer');

/** Stamped by scripts/bundle.mjs: the version line and a hash of the bundle's text. */
const BUILD = { version: '', id: '' };

/** V8 hands a function to TurboFan once it has used up its interrupt budget (67584 by default).
 * A run of a few seconds optimized hundreds of functions it then hardly ran again: at 100 light
 * hosts a fifth of the controller's CPU was TurboFan compiling on V8's background threads. With
 * a budget 4.4 times as large only what stays hot (ssh2's packet loop, the probe parser) is
 * optimized: 11% less controller CPU there (bench/README.md, issue 15, scale9). Set before the
 * bundle is compiled; the code cache is made and read under the same flags. */
const V8_FLAGS = '--interrupt-budget=300000';

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  process.stdout.write(`${BUILD.version}\n`);
} else {
  run();
}

function run() {
  v8.setFlagsFromString(V8_FLAGS);
  const file = path.join(__dirname, 'fleet-bundle.cjs');
  const source = text(fs.readFileSync(file));
  // V8 accepts a cache for any source of the same length: the file name names the exact
  // bundle (its hash, size and time) and the node, and one cache per command word, since a
  // cache holds only the functions its first run compiled.
  const st = fs.statSync(file);
  const word = /^[a-z]{1,16}$/.test(args[0] ?? '') ? args[0] : 'other';
  const base = `fleet-${BUILD.id}-${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}-${word}`;
  const dirs = cacheDirs();
  // A cache holds what its run compiled: one written by a run that stopped early (a YAML error,
  // an unreachable host) lacks most of what the next run needs, and an accepted cache was
  // never written again. Such a run's cache is kept as partial, and replaced by the first run
  // of that command that gets to its end.
  const full = readCache(dirs, `${base}.cache`, st.uid);
  const cachedData = full ?? readCache(dirs, `${base}.partial.cache`, st.uid);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const stale = cachedData === undefined || script.cachedDataRejected;
  if (stale || full === undefined) {
    process.once('exit', (code) => {
      const complete = code === 0 || code === 2; // apply done, or check done with changes to make
      if (stale || complete) saveCache(dirs, complete ? `${base}.cache` : `${base}.partial.cache`, word, script);
    });
  }
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, __dirname);
}

/** The first cache of that name that no one but us, root or the bundle's owner can have
 * written. A code cache is code: V8 checks only the length of the source, so a cache planted
 * by another local user (XDG_CACHE_HOME on a shared directory, a group-writable checkout)
 * would run their code as whoever runs fleet. One that fails this is rewritten by ours. */
function readCache(dirs, name, bundleOwner) {
  const trusted = new Set([0, bundleOwner, process.getuid ? process.getuid() : 0]);
  for (const dir of dirs) {
    let fd;
    try {
      fd = fs.openSync(path.join(dir, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      const st = fs.fstatSync(fd);
      if (st.isFile() && trusted.has(st.uid) && (st.mode & 0o022) === 0) return fs.readFileSync(fd);
    } catch {
      // Not cached there (yet).
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  return undefined;
}

/** The bundle's text, its #! line made a comment. An ASCII file (what scripts/bundle.mjs
 * writes) is read as latin1, the same text at under half UTF-8's decoding cost, and a one-byte
 * string where V8 would otherwise hold two bytes a character; anything else is read as UTF-8. */
function text(buf) {
  if (buf[0] === 0x23 && buf[1] === 0x21) buf.write('//', 0, 'latin1');
  return isAscii(buf) ? buf.latin1Slice(0, buf.length) : buf.toString('utf8');
}

/** Beside the bundle when that is writable (a checkout), else the user's cache directory (a
 * read-only install); nowhere, silently, when neither is. */
function cacheDirs() {
  const home = process.env.XDG_CACHE_HOME || (process.env.HOME ? path.join(process.env.HOME, '.cache') : undefined);
  return [path.join(__dirname, '.cache'), ...(home ? [path.join(home, 'fleet')] : [])];
}

function saveCache(dirs, name, word, script) {
  let data;
  try {
    data = script.createCachedData();
  } catch {
    return; // No cache this time; the run itself is done and unaffected.
  }
  for (const dir of dirs) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      // Whole or not at all: another fleet may be reading it right now. Created afresh (never
      // through a file or symlink someone left at that name), writable by us alone whatever
      // the umask, as readCache requires.
      const tmp = path.join(dir, `${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
      const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
      try {
        fs.fchmodSync(fd, 0o644);
        fs.writeFileSync(fd, data);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, path.join(dir, name));
      // Caches of other builds or nodes are dead weight, and so is a partial one once a whole
      // one is written: this command's others go.
      const mine = (f) => f.endsWith(`-${word}.cache`) || f.endsWith(`-${word}.partial.cache`);
      for (const f of fs.readdirSync(dir)) if (f !== name && f.startsWith('fleet-') && mine(f)) fs.rmSync(path.join(dir, f), { force: true });
      return;
    } catch {
      // Read-only or full: try the next place.
    }
  }
}
