// Shell completion: the bash script really completes in bash (commands, flags, and host and
// group names where a pattern goes, after ':' too); zsh and fish scripts call the same hook.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleet, MAIN } from './fleet-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-completion-'));
mkdirSync(join(dir, 'inventory'));
writeFileSync(join(dir, 'inventory', 'hosts.yml'), 'all:\n  children:\n    workers:\n      hosts:\n        relay1: {}\n        relay2: {}\n    web:\n      hosts:\n        www1: {}\n');
// `fleet` on the PATH, as an installed copy would be.
mkdirSync(join(dir, 'bin'));
writeFileSync(join(dir, 'bin', 'fleet'), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`);
chmodSync(join(dir, 'bin', 'fleet'), 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let script: string | undefined;

/** What bash offers for the line typed so far (the cursor at its end). */
function bashComplete(line: string): string[] {
  script ??= fleet(['completion', 'bash']).out;
  const driver = `${script}
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}
# bash's own word split, breaks included (COMP_WORDBREAKS has ':')
read -ra COMP_WORDS <<< "$(printf '%s' "$COMP_LINE" | sed 's/:/ : /g')"
[[ "$COMP_LINE" =~ [[:space:]]$ ]] && COMP_WORDS+=("")
[[ "$COMP_LINE" == *: ]] && COMP_WORDS+=("")
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
[[ "\${COMP_WORDS[COMP_CWORD]}" == "" && "$COMP_LINE" == *: ]] && { unset 'COMP_WORDS[COMP_CWORD]'; COMP_CWORD=$((COMP_CWORD-1)); }
_fleet_completions
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', driver], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` } });
  return r.stdout.split('\n').filter(Boolean).sort();
}

// Each TAB starts fleet: on a loaded two-core machine that is seconds, hence the timeout.
describe('fleet completion', { timeout: 300_000 }, () => {
  it('bash completes commands, flags, and host and group names where a pattern goes', () => {
    expect(bashComplete('fleet fa')).toEqual(['facts']);
    expect(bashComplete('fleet run relay')).toEqual(['relay1', 'relay2']);
    expect(bashComplete('fleet run w')).toEqual(['web', 'workers', 'www1']);
    // after a pattern operator, only the part after it is replaced (bash split the word at ':')
    expect(bashComplete('fleet run workers:&w')).toEqual(['&web', '&workers', '&www1']);
    expect(bashComplete('fleet check -l relay')).toEqual(['relay1', 'relay2']);
    expect(bashComplete('fleet run all --st')).toEqual(['--stream']);
  });

  it('the hook answers for zsh and fish too, and names hosts only where a host goes', () => {
    const ask = (shell: string, ...words: string[]) => fleet(['--get-yargs-completions', 'fleet', ...words], { cwd: dir, env: { SHELL: `/bin/${shell}` } }).out.split('\n').filter(Boolean).sort();
    expect(ask('zsh', 'vars', '')).toEqual(['relay1', 'relay2', 'www1']);
    expect(ask('zsh', 'run', 'relay1:w')).toEqual(['relay1\\:web', 'relay1\\:workers', 'relay1\\:www1']);
    expect(ask('fish', 'run', '-i', 'inventory', 'ww')).toEqual(['www1']);
    expect(ask('fish', 'inventory', '--graph', '')).toEqual(['all', 'ungrouped', 'web', 'workers']);
    expect(ask('fish', 'ap')).toEqual(expect.arrayContaining([expect.stringMatching(/^apply\tconverge/)]));
    for (const shell of ['zsh', 'fish']) expect(fleet(['completion', shell]).out).toContain(`SHELL=${shell} fleet --get-yargs-completions`);
  });
});
