// npm's `prepare`: builds fleet where npm installs it from source (a git URL, `npm pack`,
// `npm install -g` of a clone), so the installed copy has dist/, the single-file build and
// the man page. Skipped by the repository's own `npm ci` (the README's commands build
// anyway) and by `npx fleet` in a checkout that is already built.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const command = process.env.npm_command;
const built = existsSync(new URL('../dist/cli/main.js', import.meta.url));
if (command === 'ci' || (command === 'exec' && built)) process.exit(0);
for (const script of ['build', 'bundle', 'man']) execSync(`npm run --silent ${script}`, { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
