// drift: report how the live state differs from what it should be, as a read-only command
// tells it (exit 0: no drift; otherwise what it prints, shown as the diff when it is a
// unified diff). It changes nothing itself: the tasks that converge that state repair it. In
// apply mode it checks again and fails when the drift is still there.
import { Type } from '@sinclair/typebox';
import type { Module } from '../model/module.js';
import { paramsObject } from '../model/params.js';
import { parseProbe } from './lib/kv.js';

const schema = paramsObject({
  cmd: Type.String({ minLength: 1, description: 'read-only sh command: exit 0 when there is no drift, else print how the state differs' }),
});

/** Runs the check in its own subshell with stdin closed (`|| ...`: also under apply's set -e). */
function check(cmd: string): string {
  return `fleet_rc=0; fleet_o=$( (\n${cmd}\n) 2>&1 </dev/null ) || fleet_rc=$?\n`;
}

export const drift: Module<typeof schema> = {
  name: 'drift',
  schema,
  traits: { freeForm: 'cmd' },
  probe: (p) => `${check(p.cmd)}echo "rc=$fleet_rc"\nprintf 'out_b64='; printf '%s' "$fleet_o" | base64 -w0; echo\n`,
  plan(_p, out) {
    const d = parseProbe(out);
    if (d.need('rc') === '0') return { kind: 'ok', note: 'no drift' };
    const text = d.text('out_b64') ?? '';
    const isDiff = /^@@ /m.test(text);
    const first = text.split('\n').find((l) => l.trim() && !/^(---|\+\+\+|@@) /.test(l)) ?? `exit ${d.get('rc')}`;
    return { kind: 'change', summary: isDiff ? 'drift: the live state differs (see the diff)' : `drift: ${first.trim()}`, diff: isDiff ? `${text.replace(/\n?$/, '\n')}` : undefined };
  },
  // Nothing to change here; the tasks before it converge the state. Still drifted: fail with why.
  apply: (p) => `${check(p.cmd)}[ "$fleet_rc" -eq 0 ] && exit 0\nprintf 'still drifted after the tasks before this one:\\n%s\\n' "$fleet_o" >&2\nexit 1\n`,
};
