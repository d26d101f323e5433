// A docker swarm on the lab's first three hosts (lab1 manager, the next two workers), built
// by fleet's own site playbook with the test image carried from the controller, for the test
// files that deploy on a swarm. ensureSwarm() converges it: a no-change apply (about one round
// trip per host) when an earlier file left it converged, a full apply on fresh hosts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runFleet, type FleetRun } from './fleet.js';
import { labHosts, labInfo } from './lab.js';
import type { LabHostInfo as LabHost } from '../../../src/lab/index.js';
import { makeSiteProject, type Project } from './project.js';
import { SWARM_LABELS, swarmGroupVars } from '../../../src/lab/swarm-settings.js';

export interface SwarmProject {
  project: Project;
  /** The swarm's hosts, manager first. */
  hosts: LabHost[];
  manager: string;
  /** Where fleet keeps its cache for this project (searched for secrets by the tests). */
  cacheDir: string;
  /** fleet with this project's inventory and cache. */
  fleet(args: string[]): Promise<FleetRun>;
  cleanup(): void;
}

/** The site project for a 1-manager, 2-worker swarm: the test image carried from the controller,
 * port 8080 published only to the second host, an attachable overlay network. */
export function makeSwarmProject(): SwarmProject {
  const all = labHosts();
  if (all.length < 3) throw new Error(`a swarm needs 3 lab hosts, the lab has ${all.length}`);
  const hosts = all.slice(0, 3);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-swarm-cache-'));
  const project = makeSiteProject({ hosts: hosts.map((h) => h.name), containers: true });
  fs.writeFileSync(
    path.join(project.inventoryDir, 'group_vars', 'all.yml'),
    YAML.stringify(swarmGroupVars({ keyFile: labInfo().keyFile, webFrom: hosts[1].address, network: 'fleet-test' })),
  );
  fs.mkdirSync(path.join(project.inventoryDir, 'host_vars'), { recursive: true });
  all.slice(0, SWARM_LABELS.length).forEach((h, i) => {
    fs.writeFileSync(path.join(project.inventoryDir, 'host_vars', `${h.name}.yml`), YAML.stringify({ swarm_labels: SWARM_LABELS[i] }));
  });
  return {
    project,
    hosts,
    manager: hosts[0].name,
    cacheDir,
    fleet: (args) => runFleet([...args, '-i', project.inventoryDir], { cwd: project.dir, env: { XDG_CACHE_HOME: cacheDir }, timeoutMs: 900_000 }),
    cleanup: () => {
      project.cleanup();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** A converged swarm on the lab's first three hosts; throws with fleet's output if the apply fails. */
export async function ensureSwarm(): Promise<SwarmProject> {
  const swarm = makeSwarmProject();
  const run = await swarm.fleet(['apply', 'playbooks/site.yml']);
  if (run.code !== 0) {
    swarm.cleanup();
    throw new Error(`ensureSwarm: fleet apply exited ${run.code}\n${run.stderr.slice(-3000)}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`);
  }
  return swarm;
}
