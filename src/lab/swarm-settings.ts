// The settings of the swarm tests' site project (test/integration/helpers/swarm.ts), in one
// place so that the site benchmark (bench/site.ts) measures the very project whose round trips
// roles-swarm.test.ts prints in every CI run.
import fs from 'node:fs';
import { testImageArchive, TEST_IMAGE } from './busybox-image.js';

/** The labels each lab host gets in the swarm, by its place in the lab (a fourth host for the
 * node lifecycle). */
export const SWARM_LABELS: Record<string, string>[] = [{ zone: 'a' }, { zone: 'b' }, { zone: 'b', tier: 'edge' }, { zone: 'c' }];

/** group_vars/all.yml of the swarm project: the lab key as admin key, root keeping its key
 * login, the test image carried from the controller, port 8080 published only to `webFrom`,
 * and one attachable overlay network named `network`. */
export function swarmGroupVars(opts: { keyFile: string; webFrom: string; network: string }): Record<string, unknown> {
  return {
    admin_keys: [fs.readFileSync(`${opts.keyFile}.pub`, 'utf8').trim()],
    // Root stays allowed (with a key) so tests can use the lab's root access.
    ssh_permit_root_login: 'prohibit-password',
    // fleet node add writes only the address: the lab key comes from here.
    ansible_ssh_private_key_file: opts.keyFile,
    docker_images: [{ name: TEST_IMAGE, src: testImageArchive() }],
    // The test service's port: only one host may reach it.
    firewall_docker_allow: [{ port: 8080, from: [opts.webFrom], comment: 'test web' }],
    // Not encrypted: the lab's kernel has no IPsec ESP (CONFIG_INET_ESP unset), so docker
    // cannot make an encrypted overlay's SAs and its xfrm policy drops all traffic between
    // nodes; docker_networks refuses encrypted: true there (stack.test.ts proves it).
    swarm_networks: [{ name: opts.network, attachable: true }],
  };
}
