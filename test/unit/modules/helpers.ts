// Test helpers: run module fragments with the real /bin/sh the way the engine does (each
// fragment in its own subshell; apply under set -e), and validate params like the engine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { expect } from 'vitest';
import type { TObject } from '@sinclair/typebox';
import type { Module, Plan } from '../../../src/model/module.js';
import type { Params } from '../../../src/model/params.js';

/** A module whose probe/plan/apply take P (tests do not care about its schema or plan data). */
type M<P> = Module<TObject, any, P>;

export interface Run {
  rc: number;
  stdout: string;
  stderr: string;
}

export function sh(script: string): Run {
  const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8' });
  return { rc: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

/** Params after schema validation with defaults filled in, as the engine hands them over. */
export function params<S extends TObject, D, P>(m: Module<S, D, P>, raw: Record<string, unknown>): Params<S> & P {
  const copy = structuredClone(raw);
  const validate = ajv.compile(m.schema);
  if (!validate(copy)) throw new Error(`invalid params for ${m.name}: ${ajv.errorsText(validate.errors)}`);
  return copy as Params<S> & P;
}

export function isValid(m: { schema: object }, raw: Record<string, unknown>): boolean {
  return ajv.compile(m.schema)(structuredClone(raw)) as boolean;
}

export function runProbe<P>(m: M<P>, p: P): string {
  const r = sh(`(\n${m.probe(p)}\n)\n`);
  expect(r.stderr).toBe('');
  expect(r.rc).toBe(0);
  return r.stdout;
}

export function planOf<P>(m: M<P>, p: P): Plan {
  return m.plan(p, runProbe(m, p));
}

export function runApply<P>(m: M<P>, p: P, plan: Plan): Run {
  if (plan.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(plan)}`);
  return sh(`(\nset -e\n${m.apply(p, plan)}\n)\n`);
}

/** probe -> plan (a change) -> apply (rc 0) -> probe -> plan (ok): the idempotence cycle. */
export function converge<P>(m: M<P>, p: P, stderr: RegExp = /^$/): Extract<Plan, { kind: 'change' }> {
  const first = planOf(m, p);
  expect(first.kind).toBe('change');
  const r = runApply(m, p, first);
  expect(r.stderr).toMatch(stderr);
  expect(r.rc).toBe(0);
  expect(planOf(m, p)).toEqual(expect.objectContaining({ kind: 'ok' }));
  return first as Extract<Plan, { kind: 'change' }>;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-mod-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
