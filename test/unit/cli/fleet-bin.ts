// Run the built CLI (dist/fleet.cjs, the command `npm run build` makes) as a user does.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const MAIN = resolve('dist/fleet.cjs');

export interface Ran {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

export function fleet(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Ran {
  if (!existsSync(MAIN)) throw new Error('dist/fleet.cjs is missing: run npm run build (npm test does)');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, ...opts.env }, input: opts.input ?? '' });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}
