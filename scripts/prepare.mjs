// npm's `prepare`: builds fleet where npm installs it from source (`npm install -g` of a
// clone or a git URL, `npm pack`), so the installed copy has dist/ (with the single-file build
// that `fleet` runs) and the man page. Skipped by the repository's own `npm ci` (the README's commands build
// anyway) and by `npx fleet` in a checkout that is already built.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const command = process.env.npm_command;
if (command === 'ci' || (command === 'exec' && existsSync(`${root}dist/fleet.cjs`))) process.exit(0);

if (!existsSync(`${root}node_modules/typescript/package.json`)) {
  // A global install from source gives the package only its runtime dependencies, with the
  // global settings in the environment (npm/cli#8440): add the build's own tools, here,
  // without touching what npm already placed (its scripts may be running).
  const env = { ...process.env, npm_config_global: 'false', npm_config_prefix: root, npm_config_location: 'project' };
  execSync('npm install --include=dev --no-save --ignore-scripts --no-audit --no-fund --prefer-offline', { stdio: 'inherit', cwd: root, env });
}
for (const script of ['build', 'man']) execSync(`npm run --silent ${script}`, { stdio: 'inherit', cwd: root });
