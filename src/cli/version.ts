// `fleet --version`: the package version and the commit it was built from. The build stamps
// the commit into build-info.json (a single-file build gets both baked in); a checkout that
// was built without the stamp asks git.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

declare const __FLEET_BUILD__: { version: string; commit: string } | undefined;

export interface VersionInfo {
  version: string;
  commit: string;
}

export function versionInfo(): VersionInfo {
  if (typeof __FLEET_BUILD__ !== 'undefined' && __FLEET_BUILD__) return __FLEET_BUILD__;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const read = (file: string): Record<string, string> | undefined => {
    try {
      return JSON.parse(readFileSync(root + file, 'utf8')) as Record<string, string>;
    } catch {
      return undefined;
    }
  };
  const version = read('package.json')?.version ?? 'unknown';
  let commit = read('dist/build-info.json')?.commit;
  if (!commit) {
    try {
      commit = execFileSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      commit = 'unknown';
    }
  }
  return { version, commit };
}

export function versionLine(): string {
  const v = versionInfo();
  return `fleet ${v.version} (commit ${v.commit})`;
}
