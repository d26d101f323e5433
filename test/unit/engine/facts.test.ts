// Facts as the first round trip reads them, over a real local shell.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FACTS_PROBE, factsSection, parseFacts } from '../../../src/engine/facts.js';
import { roundTrip } from '../../../src/engine/round-trip.js';
import { LocalSession } from './local-session.js';

describe('facts', () => {
  it('the host clock (now) comes from /proc with builtins, within a couple of seconds of the real one, and moves on with the controller', async () => {
    const out = execFileSync('sh', ['-c', FACTS_PROBE], { encoding: 'utf8' });
    const facts = parseFacts(out);
    const real = Math.floor(Date.now() / 1000);
    expect(facts.now).toBeGreaterThan(real - 3);
    expect(facts.now).toBeLessThan(real + 3);
    const read = parseFacts('now=1000\n');
    await new Promise((r) => setTimeout(r, 1100));
    expect(read.now).toBeGreaterThanOrEqual(1001);
    expect(read.now).toBeLessThan(1005);
  });

  it('arch and the CPU count read from /proc and /sys say what uname and getconf say', () => {
    const facts = parseFacts(execFileSync('sh', ['-c', FACTS_PROBE], { encoding: 'utf8' }));
    expect(facts.arch).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    expect(facts.cpus).toBe(Number(execFileSync('getconf', ['_NPROCESSORS_ONLN'], { encoding: 'utf8' }).trim()));
  });

  it('no clock read: no now (a plan then falls back to what its probe or the controller says)', () => {
    expect(parseFacts('os_id=debian\n').now).toBeUndefined();
  });

  it('reads os-release as sourcing it would have (quotes, comments, a last line without newline)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-osrel-'));
    try {
      const samples = [
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
        'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy',
        "# a comment\nID='alpine'\nVERSION_ID=3.19.1\n\nHOME_URL=\"https://x.example/?a=b\"\n",
        'ID=first\nID=second\n',
        '',
      ];
      for (const [i, text] of samples.entries()) {
        const f = join(dir, `os-release-${i}`);
        writeFileSync(f, text);
        const ours = parseFacts(execFileSync('sh', ['-c', FACTS_PROBE.replace('/etc/os-release', f).replace('/etc/os-release', f)], { encoding: 'utf8' }));
        const sourced = execFileSync('sh', ['-c', `ID=; VERSION_ID=; VERSION_CODENAME=; . '${f}'; printf '%s|%s|%s' "$ID" "$VERSION_ID" "$VERSION_CODENAME"`], { encoding: 'utf8' });
        expect(`${ours.osId}|${ours.osVersion}|${ours.osCodename}`, text).toBe(sourced);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("run in the script's own shell, leave none of their variables to later sections", async () => {
    // What a later section sees: the shell's variable names, IFS, globbing; as without facts.
    const look = { kind: 'query' as const, text: `set | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p' | sort -u; echo "ifs=\${IFS+set} opts=$-"` };
    // IFS unset splits as the default one does (merged probes leave it so too).
    const names = (out: string) => out.replace(/^IFS\n/m, '').replace('ifs=set', 'ifs=');
    const bare = names((await roundTrip(new LocalSession(), [{ kind: 'probe', text: 'true' }, look], false, 'test', {})).get(1)!.stdout);
    for (const facts of [factsSection([]), factsSection([{ batch: { kind: 'dpkg', names: ['fleet-no-such-package'], pinned: false } }])]) {
      const r = await roundTrip(new LocalSession(), [facts, look], false, 'test', {});
      expect(parseFacts(r.get(0)!.stdout).osId).not.toBe('');
      const seen = names(r.get(1)!.stdout).split('\n').filter((l) => !facts.inline?.keep?.includes(l));
      expect(seen.join('\n')).toBe(bare);
      expect(bare).toMatch(/\nifs= opts=[^f]*\n$/);
    }
  });
});
