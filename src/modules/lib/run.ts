// Shared by command and shell: guards (creates, removes, unless), chdir, environment.
import { Type } from '@sinclair/typebox';
import type { Plan, ApplyOutcome, ModuleResult, ModuleTraits, ProbeBatch } from '../../model/module.js';
import { rawSchema } from '../../model/params.js';
import { q } from './sh.js';
import { parseProbe } from './kv.js';

export interface RunParams {
  chdir?: string;
  creates?: string;
  removes?: string;
  unless?: string;
  environment?: Record<string, string | number | boolean>;
}

export const runProps = {
  chdir: Type.Optional(Type.String({ pattern: '^/' })),
  creates: Type.Optional(Type.String({ minLength: 1, description: 'nothing to do when this path exists' })),
  removes: Type.Optional(Type.String({ minLength: 1, description: 'nothing to do when this path does not exist' })),
  unless: Type.Optional(Type.String({ minLength: 1, description: 'sh command: nothing to do when it exits 0' })),
  environment: Type.Optional(
    rawSchema<Record<string, string | number | boolean>>({
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    }),
  ),
};

/** command and shell: `command: ls -l`, guarded by creates/unless, a query with changed_when: false. */
export const runTraits: ModuleTraits = { freeForm: 'cmd', guards: true, query: true };

/** "cd DIR && " plus exported variables, as a prefix for the guard and the command. */
export function runPrefix(p: RunParams, inProbe = false): string {
  let s = '';
  // In a probe a missing chdir (made by an earlier task) is a state, not an error.
  if (p.chdir) s += inProbe ? `cd ${q(p.chdir)} 2>/dev/null || exit 0\n` : `cd ${q(p.chdir)} || exit 1\n`;
  for (const [k, v] of Object.entries(p.environment ?? {})) s += `${k}=${q(String(v))}; export ${k}\n`;
  return s;
}

function pathChecks(p: Pick<RunParams, 'creates' | 'removes'>): string[] {
  const checks: string[] = [];
  if (p.creates) checks.push(`if [ -e ${q(p.creates)} ]; then echo creates_exists=1; fi`);
  if (p.removes) checks.push(`if [ ! -e ${q(p.removes)} ]; then echo removes_missing=1; fi`);
  return checks;
}

export function probeRun(p: RunParams): string {
  const checks = pathChecks(p);
  // The operator's guard runs read-only by contract; its output is not ours to print.
  if (p.unless) checks.push(`if ( ${p.unless}\n) >/dev/null 2>&1 </dev/null; then echo unless_ok=1; fi`);
  if (!checks.length) return 'echo guard=none\n';
  const prefix = runPrefix(p, true);
  // Builtin tests alone need no subshell (one fork less per task on the host).
  if (!prefix && !p.unless) return `${checks.join('\n')}\necho guard=checked\n`;
  // chdir may not exist yet (an earlier task creates it): guards then read as "not done".
  return `(\n${prefix}${checks.join('\n')}\n)\necho guard=checked\n`;
}

/** A guard of path tests only (no unless, no chdir) merges with the others of the round trip. */
export function batchRun(p: RunParams): ProbeBatch | undefined {
  if (p.unless || p.chdir || (!p.creates && !p.removes)) return undefined;
  return { kind: 'guard', creates: p.creates, removes: p.removes };
}

const GUARD_MARK = '@@guard ';

/** Every guard's tests in one section, each answer after its mark: builtins only. */
export function guardBatchScript(needs: Pick<RunParams, 'creates' | 'removes'>[]): string {
  return needs.map((n, i) => `echo '${GUARD_MARK}${i}'\n${pathChecks(n).join('\n')}\necho guard=checked\n`).join('');
}

/** One guard's answer: the lines after its mark, as its own probe prints them. */
export function guardBatchSplit(stdout: string, index: number): string {
  const lines = stdout.split('\n');
  const start = lines.indexOf(`${GUARD_MARK}${index}`);
  if (start < 0) return '';
  const end = lines.indexOf('guard=checked', start);
  return end < 0 ? '' : lines.slice(start + 1, end + 1).join('\n') + '\n';
}

export function planRun(p: RunParams, out: string, display: string): Plan {
  const d = parseProbe(out);
  if (d.get('creates_exists') === '1') return { kind: 'ok', note: `${p.creates} exists` };
  if (d.get('removes_missing') === '1') return { kind: 'ok', note: `${p.removes} does not exist` };
  if (d.get('unless_ok') === '1') return { kind: 'ok', note: `unless: ${p.unless} succeeded` };
  return { kind: 'change', summary: `run: ${display}` };
}

/** What a command gives `register`: rc, stdout, stderr (without the last newline), stdout_lines. */
export function runResult(display: string, o: ApplyOutcome): ModuleResult {
  const stdout = o.stdout.replace(/\n$/, '');
  const stderr = o.stderr.replace(/\n$/, '');
  return {
    failed: o.rc !== 0,
    msg: o.rc !== 0 ? `command exited ${o.rc}` : undefined,
    cmd: display,
    registered: { rc: o.rc, stdout, stderr, stdout_lines: stdout ? stdout.split('\n') : [], cmd: display },
  };
}
