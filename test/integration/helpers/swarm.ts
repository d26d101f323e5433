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
import { testImageArchive, TEST_IMAGE } from '../../../src/lab/busybox-image.js';

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

/** The labels each lab host gets in the swarm, by its place in the lab (a fourth host for the
 * node lifecycle). */
export const SWARM_LABELS: Record<string, string>[] = [{ zone: 'a' }, { zone: 'b' }, { zone: 'b', tier: 'edge' }, { zone: 'c' }];

/** The site project for a 1-manager, 2-worker swarm: the test image carried from the controller,
 * port 8080 published only to the second host, an attachable overlay network. */
export function makeSwarmProject(): SwarmProject {
  const all = labHosts();
  if (all.length < 3) throw new Error(`a swarm needs 3 lab hosts, the lab has ${all.length}`);
  const hosts = all.slice(0, 3);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-swarm-cache-'));
  const project = makeSiteProject({ hosts: hosts.map((h) => h.name), containers: true });
  const pub = fs.readFileSync(`${labInfo().keyFile}.pub`, 'utf8').trim();
  fs.writeFileSync(
    path.join(project.inventoryDir, 'group_vars', 'all.yml'),
    YAML.stringify({
      admin_keys: [pub],
      // Root stays allowed (with a key) so tests can use the lab's root access.
      ssh_permit_root_login: 'prohibit-password',
      // fleet node add writes only the address: the lab key comes from here.
      ansible_ssh_private_key_file: labInfo().keyFile,
      docker_images: [{ name: TEST_IMAGE, src: testImageArchive() }],
      // The test service's port: only the second host may reach it.
      firewall_docker_allow: [{ port: 8080, from: [hosts[1].address], comment: 'test web' }],
      // Not encrypted: the lab's kernel has no IPsec ESP (CONFIG_INET_ESP unset), so docker
      // cannot make an encrypted overlay's SAs and its xfrm policy drops all traffic between
      // nodes; docker_networks refuses encrypted: true there (stack.test.ts proves it).
      swarm_networks: [{ name: 'fleet-test', attachable: true }],
    }),
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
