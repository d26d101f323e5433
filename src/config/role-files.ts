// Load-time check that a role task's static template/copy `src` exists in the role, so a
// misspelt file name fails before any host is contacted (the engine reads it per host).
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { entries, errAt, isMap } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

const SUBDIR: Record<string, 'templates' | 'files'> = { template: 'templates', copy: 'files', unarchive: 'files' };

export function checkRoleFile(yf: YamlFile, module: string, params: Record<string, unknown>, paramsNode: unknown, roleDir: string | undefined): void {
  const sub = SUBDIR[module];
  const src = params.src;
  if (!sub || !roleDir || typeof src !== 'string' || src.includes('{{') || isAbsolute(src)) return;
  // unarchive's remote_src names a file on the host.
  if (params.remote_src !== undefined && params.remote_src !== false) return;
  const dir = join(roleDir, sub);
  if (existsSync(join(dir, src))) return;
  const node = isMap(paramsNode) ? entries(yf, paramsNode).find((e) => e.key === 'src')?.value : paramsNode;
  const there = existsSync(dir) ? readdirSync(dir).sort().join(', ') || 'none' : `no ${sub}/ directory`;
  throw errAt(yf, node, `${module} src '${src}' not found in ${dir} (there: ${there})`);
}
