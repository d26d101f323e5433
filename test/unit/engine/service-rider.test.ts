// A service planned after its unit file is written in the same script (pipeline.ts, service.ts
// predictServiceWritten): it is planned from what systemd says once the file is there, and its
// guard, run in a real shell against a fake systemctl that answers as systemd 252 did on the lab
// (a unit file written after a not-found answer loads on the next `systemctl show`), applies
// only when systemd says exactly that.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIVERGED, DIVERGED_MARK, guardedSection, lookahead, type LookaheadPorts } from '../../../src/engine/pipeline.js';
import { prepareTask } from '../../../src/engine/prepare-task.js';
import type { PlayProgram } from '../../../src/engine/program.js';
import type { SectionResult } from '../../../src/engine/script.js';
import { applyService, planService, predictServiceWritten, probeService, type ServiceParams } from '../../../src/modules/service.js';
import { play, task } from './fixtures.js';
import { lookaheadPorts } from './lookahead-ports.js';
import { shWithBin } from './path-shell.js';

const UNIT = '/etc/systemd/system/fleet-firewall.service';
const params: ServiceParams = { name: 'fleet-firewall', enabled: true, daemon_reload: true };

let tmp: string;
let units: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleet-service-rider-'));
  units = join(tmp, 'units');
  mkdirSync(units);
  mkdirSync(join(tmp, 'bin'));
  mkdirSync(join(tmp, 'run'));
  // systemctl show as systemd 252 answers it (properties in its own order), enable logged.
  const fake = `#!/bin/sh
if [ "$1" = show ]; then
  f="${units}/$5"
  if [ ! -f "$f" ]; then printf 'LoadState=not-found\\nActiveState=inactive\\nSubState=dead\\nUnitFileState=\\nNeedDaemonReload=no\\n'
  elif grep -q '^\\[Install\\]' "$f"; then printf 'LoadState=loaded\\nActiveState=inactive\\nSubState=dead\\nUnitFileState=disabled\\nNeedDaemonReload=no\\n'
  else printf 'LoadState=loaded\\nActiveState=inactive\\nSubState=dead\\nUnitFileState=static\\nNeedDaemonReload=no\\n'; fi
  exit 0
fi
echo "$*" >> "${tmp}/calls"
`;
  writeFileSync(join(tmp, 'bin/systemctl'), fake);
  chmodSync(join(tmp, 'bin/systemctl'), 0o755);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** The probe as the host runs it, with the fake systemd's directories. */
const probeText = () => probeService(params).replace('/run/systemd/system', join(tmp, 'run'));
const sh = (text: string) => shWithBin(join(tmp, 'bin'), text);
/** What the first probes read: no unit file yet. */
const notFound = (): SectionResult => ({ ...sh(probeText()), stderr: '' });

describe('a service riding after its unit file', () => {
  it('is planned from what systemd says once the file is written: the same plan as a probe taken then', () => {
    const before = notFound();
    expect(planService(params, before.stdout).kind).toBe('blocked');
    expect(predictServiceWritten(params, before.stdout, new Set(['/etc/other.service']))).toBeUndefined();
    const predicted = predictServiceWritten(params, before.stdout, new Set([UNIT]))!;
    writeFileSync(join(units, 'fleet-firewall.service'), '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n');
    expect(predicted).toBe(sh(probeText()).stdout);
    expect(planService(params, predicted)).toEqual(planService(params, sh(probeText()).stdout));
    expect(planService(params, predicted)).toMatchObject({ kind: 'change', data: { enable: true } });
    // Anything but the not-found answer is not predicted (the unit is there already, masked...).
    expect(predictServiceWritten(params, predicted, new Set([UNIT]))).toBeUndefined();
    expect(
      predictServiceWritten(params, before.stdout.replace('NeedDaemonReload=no', 'NeedDaemonReload=yes'), new Set([UNIT])),
    ).toBeUndefined();
  });

  for (const [name, content, applies] of [
    ['the unit file as planned: enabled', '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n', true],
    ['a unit file without [Install] (static): the guard stops the script', '[Service]\nExecStart=/bin/true\n', false],
    ['no unit file after all: the guard stops the script', undefined, false],
  ] as const) {
    it(`its guard, in a real shell: ${name}`, () => {
      const predicted = predictServiceWritten(params, notFound().stdout, new Set([UNIT]))!;
      const plan = planService(params, predicted);
      if (plan.kind !== 'change') throw new Error('expected a change');
      if (content !== undefined) writeFileSync(join(units, 'fleet-firewall.service'), content);
      const guard = guardedSection(probeText(), { stdout: predicted, rc: 0, stderr: '' }, applyService(params, plan)).text;
      const r = sh(`set -e\n${guard}`);
      if (applies) {
        expect(r.rc).toBe(0);
        expect(readFileSync(join(tmp, 'calls'), 'utf8')).toBe('daemon-reload\nenable -- fleet-firewall.service\n');
      } else {
        expect(r).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
        expect(() => readFileSync(join(tmp, 'calls'), 'utf8')).toThrow();
      }
    });
  }

  it('lookahead plans it only after a change that writes its unit file', () => {
    const copy = task('install fleet-firewall.service', 'copy', { dest: UNIT, content: '[Install]\n' });
    const service = task('restore the confirmed rules at boot', 'service', { ...params });
    const before = notFound();
    const ports = (fileProbe: string): LookaheadPorts =>
      lookaheadPorts({
        cached: (s) => (s.text === prepareTask(service, {}, undefined).section?.text ? before : { stdout: fileProbe, stderr: '', rc: 0 }),
      });
    const opening = task('a change', 'copy', { dest: '/etc/a', content: 'a' });
    const program: PlayProgram = {
      play: play([opening, copy, service]),
      playIndex: 0,
      units: [opening, copy, service].map((t, index) => ({ task: t, index })),
      handlers: [],
    };
    // The unit file is written: the service rides, planned from the prediction.
    const written = lookahead(program, program.units[0], ports('type=absent\nparent=1'));
    expect(written.ahead.map((a) => a.unit.task.name)).toEqual(['install fleet-firewall.service', 'restore the confirmed rules at boot']);
    expect(written.ahead[1].planned.stdout).toBe(predictServiceWritten(params, before.stdout, new Set([UNIT])));
    // Without a change writing it before, the not-found answer blocks: the service waits for its own probe.
    const alone: PlayProgram = { ...program, units: [opening, service].map((t, index) => ({ task: t, index })) };
    expect(lookahead(alone, alone.units[0], ports('type=absent\nparent=1')).ahead).toEqual([]);
  });
});
