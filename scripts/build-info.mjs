// Stamps dist/build-info.json with the version and the commit being built, for
// `fleet --version` in installed copies (they have no .git).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

export function buildInfo() {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += '-dirty';
  } catch {
    // Built outside a git checkout (from a tarball): the commit is unknown, and says so.
  }
  return { version, commit };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('../dist/build-info.json', import.meta.url), JSON.stringify(buildInfo()) + '\n');
}
