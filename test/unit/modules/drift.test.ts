// drift: a read-only check's finding as a plan (a diff when it prints one); apply checks again.
import { describe, expect, it } from 'vitest';
import { drift } from '../../../src/modules/drift.js';
import { isValid, params, planOf, runApply } from './helpers.js';

describe('drift', () => {
  it('no drift when the check exits 0', () => {
    expect(planOf(drift, params(drift, { cmd: 'echo all good; true' }))).toEqual({ kind: 'ok', note: 'no drift' });
  });

  it('a unified diff the check prints is the plan\'s diff', () => {
    const cmd = "printf -- '--- applied\\n+++ live\\n@@ -1,2 +1 @@\\n a\\n-b\\n'; exit 1";
    const plan = planOf(drift, params(drift, { cmd }));
    expect(plan).toMatchObject({ kind: 'change', summary: 'drift: the live state differs (see the diff)' });
    expect(plan.kind === 'change' && plan.diff).toBe('--- applied\n+++ live\n@@ -1,2 +1 @@\n a\n-b\n');
  });

  it('other output is the summary; the check\'s stderr counts, its stdin is closed', () => {
    const plan = planOf(drift, params(drift, { cmd: 'cat; echo "rules not loaded" >&2; exit 3' }));
    expect(plan).toEqual({ kind: 'change', summary: 'drift: rules not loaded', diff: undefined });
  });

  it('apply changes nothing: it passes when the drift is gone and fails with the check\'s output when not', () => {
    const p = params(drift, { cmd: 'test -e /nonexistent-fleet || { echo still different; exit 1; }' });
    const r = runApply(drift, p, { kind: 'change', summary: 'drift' });
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain('still different');
    expect(runApply(drift, params(drift, { cmd: 'true' }), { kind: 'change', summary: 'drift' }).rc).toBe(0);
  });

  it('needs a command', () => {
    expect(isValid(drift, {})).toBe(false);
    expect(isValid(drift, { cmd: 'true', other: 1 })).toBe(false);
  });
});
