// One lab per integration run, shared by every test file (they run one at a time), torn
// down at the end even when tests fail (FLEET_LAB_KEEP=1 keeps it for debugging). Where the
// lab cannot run (not root, not Linux, no netns): fail loudly in CI, else skip every file.
// The tests use a lab instance of their own ("test", 10.231.1.0/24), never the demo's
// default lab: what `npm run demo` did to its hosts cannot matter, and the tests leave it alone.
import type { TestProject } from 'vitest/node';
import { labDown, labInfo, labMissing, labUp, type LabInfo, type LabInstanceSpec } from '../../src/lab/index.js';

export interface ProvidedLab {
  available: boolean;
  /** Why the lab is unavailable. */
  reason?: string;
  info?: LabInfo;
}

declare module 'vitest' {
  export interface ProvidedContext {
    lab: ProvidedLab;
  }
}

const log = (m: string) => process.stderr.write(`[lab] ${m}\n`);

export const TEST_INSTANCE: LabInstanceSpec = { name: 'test', subnet: '10.231.1.0/24' };

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const missing = labMissing();
  if (missing.length) {
    const why = missing.join('; ');
    if (process.env.CI) throw new Error(`integration tests need the lab, and it cannot run here: ${why}`);
    const bar = '#'.repeat(78);
    process.stderr.write(`\n${bar}\n#  INTEGRATION TESTS SKIPPED: ${why}\n${bar}\n\n`);
    project.provide('lab', { available: false, reason: why });
    return undefined;
  }
  const n = Number(process.env.FLEET_LAB_HOSTS ?? 4);
  // FLEET_LAB_NAME + FLEET_LAB_SUBNET: run against another lab instance, e.g. while someone
  // else's tests use the "test" one on the same machine.
  const instance: LabInstanceSpec = process.env.FLEET_LAB_NAME
    ? { name: process.env.FLEET_LAB_NAME, subnet: process.env.FLEET_LAB_SUBNET ?? '' }
    : TEST_INSTANCE;
  // A lab that already had hosts is reused and left up; one we started is ours to remove.
  const ours = labInfo({ instance }).hosts.length === 0;
  const started = Date.now();
  const info = await labUp(n, { instance, onProgress: log });
  log(`${info.hosts.length} hosts ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('lab', { available: true, info });
  return async () => {
    if (process.env.FLEET_LAB_KEEP === '1' || !ours) {
      log(`lab left up (${ours ? 'FLEET_LAB_KEEP=1' : 'it was up before the tests'}); remove it with: fleet lab down --name ${instance.name} --subnet ${instance.subnet}`);
      return;
    }
    await labDown({ instance, onProgress: log });
  };
}
