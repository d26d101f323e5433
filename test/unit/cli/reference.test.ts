// One source for every page: the README's usage tables are what the commands' documentation
// renders, `fleet help TOPIC` and `fleet COMMAND --help` name exactly the documented flags, and
// the man page covers every command. A flag added in one place and not the others fails here.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { BEGIN, END, usageMarkdown } from '../../../src/cli/reference/markdown.js';
import { runDoc } from '../../../src/cli/commands/run.js';
import { helpIndex, helpPage } from '../../../src/cli/reference/text.js';
import { flagText } from '../../../src/cli/spec.js';
import yargs from 'yargs';
import type { RegisteredCommand } from '../../../src/cli/commands/index.js';
import { fleet } from './fleet-bin.js';

/** Long flag names in yargs' --help output (built-in --help/--version aside). */
function helpFlags(text: string): string[] {
  const names = [...text.matchAll(/^\s+(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]);
  return names.filter((n) => n !== 'help' && n !== 'version').sort();
}

function yargsHelp(c: RegisteredCommand, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    void yargs().scriptName('fleet').command(c.module).exitProcess(false).help().parse(args, {}, (_err: unknown, _argv: unknown, output: string) => resolve(output));
  });
}

describe('README, help pages and --help agree', { timeout: 120_000 }, () => {
  it('the README carries exactly the generated usage (npm run docs rewrites it)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const a = readme.indexOf(BEGIN);
    const b = readme.indexOf(END);
    expect(a).toBeGreaterThan(-1);
    expect(readme.slice(a, b + END.length)).toBe(usageMarkdown());
    for (const c of COMMANDS) expect(readme).toContain(`| \`${c.doc.usage}\` | ${c.doc.summary} |`);
  });

  it('fleet help COMMAND shows every documented flag; --help parses exactly those flags', async () => {
    // Pages and parsers of every command in-process (the same builders main.ts registers);
    // one of each through the binary below.
    for (const c of COMMANDS) {
      expect(helpIndex()).toContain(c.doc.usage.replace(/\\\|/g, '|'));
      const page = helpPage(c.doc.name)!;
      for (const o of c.doc.options) expect(page).toContain(flagText(o));
      const documented = c.doc.options.map((o) => o.name).sort();
      // lab's flags are its actions' (--json belongs to `lab status`).
      const args = c.doc.name === 'lab' ? ['lab', 'status', '--help'] : [c.doc.name, '--help'];
      expect(helpFlags(await yargsHelp(c, args)), `fleet ${args.join(' ')}`).toEqual(documented);
    }
    expect(fleet(['help', 'run']).out).toBe(helpPage('run'));
    expect(helpFlags(fleet(['run', '--help']).out)).toEqual(runDoc.options.map((o) => o.name).sort());
    expect(fleet(['help', 'exit-codes']).out).toMatch(/^ {2}130 +interrupted/m);
    expect(helpPage('settings')).toMatch(/^ {2}log_max_size +rotate the log file .*FLEET_LOG_MAX_SIZE/m);
  });

  it('a flag that is on by default is documented as --no-NAME, so its meaning says what --no-NAME does', () => {
    // `--no-accept-hostkey | add: connect once and pin the host key` said the opposite of what
    // the flag does.
    for (const c of COMMANDS) {
      for (const o of c.doc.options.filter((o) => o.type === 'boolean' && o.default === true)) {
        expect(o.describe, `fleet ${c.doc.name}: ${flagText(o)}`).toContain(`--no-${o.name}`);
      }
    }
  });

  it('the man page is valid roff with every command', () => {
    const man = fleet(['help', '--man']).out;
    expect(man).toMatch(/^\.TH FLEET 1 /);
    for (const c of COMMANDS) expect(man).toContain(`.SS\n${c.doc.usage.replace(/\\\|/g, '|').replace(/-/g, '\\-')}`);
    // Rendered by man(1) where it exists (the roff itself was checked above).
    const hasMan = spawnSync('man', ['--version']).status === 0;
    if (hasMan) expect(execFileSync('man', ['-l', '-'], { input: man, encoding: 'utf8', env: { ...process.env, MANWIDTH: '100' } })).toContain('fleet run PATTERN -- COMMAND...');
  });

  // npm test builds first, so the stamp is the checkout's HEAD (-dirty with uncommitted changes).
  it('--version prints the version and the commit it was built from', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(fleet(['--version']).out.trim()).toMatch(new RegExp(`^fleet ${pkg.version.replace(/\./g, '\\.')} \\(commit ${head}(-dirty)?\\)$`));
  });
});
